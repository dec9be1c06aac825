-- An untyped NULL argument leaves no complete pair: NULL, as avg(NULL) is, not a type error.
SELECT weighted_avg(NULL, w), weighted_avg(v, NULL), weighted_avg_stats(NULL, NULL)
FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D) AS t(v, w);
-- expected
NULL | NULL | {weighted_avg: NULL, total_weight: NULL, pairs: 0}
