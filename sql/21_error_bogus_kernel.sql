SET spark.wavg.kernel=bogus;
SELECT weighted_avg(v, w) FROM VALUES (1.0D, 2.0D) AS t(v, w);
-- error: weighted_avg: spark.wavg.kernel must be auto, native or java, not 'bogus'
