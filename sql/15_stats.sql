-- weighted_avg_stats: the average, the correctly rounded total weight and the number of pairs.
SELECT weighted_avg_stats(v, w),
       weighted_avg_stats(v, w).total_weight
FROM VALUES (1.0D, 1e16D), (1.0D, 1.0D), (1.0D, -1e16D), (CAST(NULL AS DOUBLE), 5.0D) AS t(v, w);
-- expected
{weighted_avg: 1.0, total_weight: 1.0, pairs: 3} | 1.0
