-- A pair with a NULL on either side is skipped entirely: its weight does not count.
SELECT weighted_avg(v, w), weighted_avg_stats(v, w)
FROM VALUES (2.0D, 10.0D), (CAST(NULL AS DOUBLE), 1000.0D), (5.0D, CAST(NULL AS DOUBLE)), (1.0D, 20.0D) AS t(v, w);
-- expected
1.3333333333333333 | {weighted_avg: 1.3333333333333333, total_weight: 30.0, pairs: 2}
