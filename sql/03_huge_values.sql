-- w * v is about 3e310, beyond the DOUBLE range, yet the average is representable.
SELECT weighted_avg(v, w) FROM VALUES (1e300D, 1e10D), (3e300D, 1e10D) AS t(v, w);
-- expected
2.0E300
