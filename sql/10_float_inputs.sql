-- FLOAT widens to DOUBLE exactly: 0.1F is 0.100000001490116..., so the average is not 0.15.
SELECT weighted_avg(v, w), weighted_avg(CAST(v AS DOUBLE), CAST(w AS DOUBLE))
FROM VALUES (CAST(0.1 AS FLOAT), CAST(1 AS FLOAT)), (CAST(0.2 AS FLOAT), CAST(1 AS FLOAT)) AS t(v, w);
-- expected
0.15000000223517418 | 0.15000000223517418
