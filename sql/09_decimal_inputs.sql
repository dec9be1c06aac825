-- DECIMAL values are converted to the nearest DOUBLE, so 0.1BD becomes 0.1D and 3 * 0.1D / 3 is 0.1D.
SELECT weighted_avg(v, w),
       weighted_avg(CAST(0.1 AS DECIMAL(38, 18)), 3BD),
       weighted_avg(v, CAST(w AS DECIMAL(10, 0)))
FROM VALUES (1.5BD, 2L), (2.25BD, 6L) AS t(v, w);
-- expected
2.0625 | 0.1 | 2.0625
