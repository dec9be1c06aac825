-- A sliding frame of the previous and the current row, per partition.
SELECT k, o, weighted_avg(v, w) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
FROM VALUES
  (1, 1, 2.0D, 10.0D), (1, 2, 1.0D, 20.0D), (1, 3, 4.0D, 1.0D),
  (2, 1, 5.0D, 1.0D), (2, 2, CAST(NULL AS DOUBLE), 3.0D), (2, 3, 1.0D, 3.0D),
  (3, 1, 1.0D, 1e16D), (3, 2, 5.0D, -1e16D)
  AS t(k, o, v, w)
ORDER BY k, o;
-- expected
1 | 1 | 2.0
1 | 2 | 1.3333333333333333
1 | 3 | 1.1428571428571428
2 | 1 | 5.0
2 | 2 | 5.0
2 | 3 | 1.0
3 | 1 | 1.0
3 | 2 | NULL
