-- One result per group; a group with no complete pair gives NULL.
SELECT k, weighted_avg(v, w), weighted_avg_stats(v, w).pairs
FROM VALUES
  ('a', 2.0D, 10.0D), ('b', 1.0D, 1e16D), ('a', 1.0D, 20.0D), ('b', 1.0D, 1.0D),
  ('b', 1.0D, -1e16D), ('c', CAST(NULL AS DOUBLE), 1.0D), ('d', 7.0D, 0.5D)
  AS t(k, v, w)
GROUP BY k ORDER BY k;
-- expected
a | 1.3333333333333333 | 2
b | 1.0 | 3
c | NULL | 0
d | 7.0 | 1
