-- A Parquet table written as several files (REPARTITION(7)) whose huge weights cancel across
-- files: still exact.
-- Products: 3 * (1e20 - 1e20) + 0.5 * 2 + 0.25 * 4 = 2; weights: 1e20 - 1e20 + 2 + 4 = 6.
CREATE TABLE cancel USING parquet AS
  SELECT /*+ REPARTITION(7) */ v, w FROM VALUES
    (3.0D, 1e20D), (0.5D, 2.0D), (3.0D, -1e20D), (0.25D, 4.0D),
    (3.0D, 1e20D), (3.0D, -1e20D), (7.0D, CAST(NULL AS DOUBLE))
    AS t(v, w);
SELECT weighted_avg(v, w), weighted_avg_stats(v, w).pairs,
       (SELECT count(DISTINCT f) > 1 FROM (SELECT input_file_name() AS f FROM cancel))
FROM cancel;
-- expected
0.3333333333333333 | 6 | true
