-- spark.wavg.kernel=java gives the same bits as the native kernel (the setting is restored afterwards).
SET spark.wavg.kernel=java;
SELECT weighted_avg(v, w)
FROM VALUES (1e300D, 1e10D), (3e300D, 1e10D), (1.0D, 1e-300D), (-2.0D, 1e16D), (-2.0D, -1e16D) AS t(v, w);
-- expected
2.0E300
