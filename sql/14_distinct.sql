-- DISTINCT applies to (value, weight) pairs: (2, 10) counts once, but (1, 20) and (1, 10) both count.
SELECT weighted_avg(DISTINCT v, w), weighted_avg(v, w)
FROM VALUES (2.0D, 10.0D), (2.0D, 10.0D), (1.0D, 20.0D), (1.0D, 10.0D) AS t(v, w);
-- expected
1.25 | 1.4
