-- FILTER (WHERE ...) restricts one aggregate to some rows; when no row passes, NULL.
SELECT weighted_avg(v, w),
       weighted_avg(v, w) FILTER (WHERE w > 15),
       weighted_avg(v, w) FILTER (WHERE v < 3),
       weighted_avg(v, w) FILTER (WHERE v > 100)
FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D), (4.0D, 10.0D) AS t(v, w);
-- expected
2.0 | 1.0 | 1.3333333333333333 | NULL
