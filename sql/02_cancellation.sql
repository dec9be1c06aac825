-- Weights 1e16, 1, -1e16 cancel to exactly 1; a rounding running sum would lose the 1.
SELECT weighted_avg(v, w)
FROM VALUES (1.0D, 1e16D), (1.0D, 1.0D), (1.0D, -1e16D) AS t(v, w);
-- expected
1.0
