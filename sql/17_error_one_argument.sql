SELECT weighted_avg(v) FROM VALUES (1.0D, 2.0D) AS t(v, w);
-- error: WRONG_NUM_ARGS
-- error: `weighted_avg` requires 2 parameters but the actual number is 1
