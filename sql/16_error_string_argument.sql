-- A STRING argument fails at analysis, naming the function and the argument.
SELECT weighted_avg(name, w) FROM VALUES ('a', 1.0D) AS t(name, w);
-- error: weighted_avg(name, w)
-- error: DATATYPE_MISMATCH
-- error: "name"
-- error: "STRING"
