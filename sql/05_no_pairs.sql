-- Only incomplete pairs, and no rows at all: NULL, with a pair count of 0.
CREATE OR REPLACE TEMP VIEW t AS
  SELECT * FROM VALUES (CAST(NULL AS DOUBLE), 1.0D), (2.0D, CAST(NULL AS DOUBLE)) AS t(v, w);
SELECT weighted_avg(v, w),
       weighted_avg_stats(v, w),
       (SELECT weighted_avg(v, w) FROM t WHERE v > 100)
FROM t;
-- expected
NULL | {weighted_avg: NULL, total_weight: NULL, pairs: 0} | NULL
