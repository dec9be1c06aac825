-- NaN anywhere gives NaN; an infinite value with finite weights gives an infinity signed as
-- IEEE division signs it (-inf / -1 = inf);
-- an infinite weight gives inf / inf = NaN.
CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM VALUES
  ('nan_value',  CAST('NaN' AS DOUBLE), 1.0D),
  ('nan_value',  1.0D, 1.0D),
  ('nan_weight', 1.0D, CAST('NaN' AS DOUBLE)),
  ('inf_value',  CAST('Infinity' AS DOUBLE), 1.0D),
  ('inf_value',  1.0D, 1.0D),
  ('neg_weight', CAST('Infinity' AS DOUBLE), -1.0D),
  ('inf_weight', 1.0D, CAST('Infinity' AS DOUBLE))
  AS t(g, v, w);
SELECT g, weighted_avg(v, w) FROM t GROUP BY g ORDER BY g;
-- expected
inf_value | Infinity
inf_weight | NaN
nan_value | NaN
nan_weight | NaN
neg_weight | Infinity
