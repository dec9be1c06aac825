-- TINYINT, SMALLINT, INT and BIGINT are converted to DOUBLE; 2^53 + 1 rounds to 2^53 on the way.
SELECT weighted_avg(CAST(v AS TINYINT), CAST(w AS SMALLINT)),
       weighted_avg(CAST(v AS INT), CAST(w AS BIGINT)),
       weighted_avg(9007199254740993L, 1)
FROM VALUES (1, 3), (4, 1) AS t(v, w);
-- expected
1.75 | 1.75 | 9.007199254740992E15
