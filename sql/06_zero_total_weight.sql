-- Weights summing to exactly 0 leave the average undefined: NULL, though there are pairs.
SELECT weighted_avg(v, w), weighted_avg_stats(v, w)
FROM VALUES (3.0D, 2.5D), (-7.0D, -2.5D) AS t(v, w);
-- expected
NULL | {weighted_avg: NULL, total_weight: 0.0, pairs: 2}
