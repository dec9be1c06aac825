SELECT weighted_avg_stats(v, w, w) FROM VALUES (1.0D, 2.0D) AS t(v, w);
-- error: WRONG_NUM_ARGS
-- error: `weighted_avg_stats` requires 2 parameters but the actual number is 3
