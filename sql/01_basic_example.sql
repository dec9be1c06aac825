-- The example from the spec: (2 * 10 + 1 * 20) / 30.
SELECT weighted_avg(v, w) FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D) AS t(v, w);
-- expected
1.3333333333333333
