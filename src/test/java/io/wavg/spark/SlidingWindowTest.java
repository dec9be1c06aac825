package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.window.SlidingWindowRule;

/**
 * weighted_avg over ROWS frames ending at the current row, with pairs entering and leaving exact sums,
 * must give every row the bits of Spark's window operator, which sums each frame afresh: cancelling
 * huge weights, NULL sides, and pairs whose products do not split (infinities, NaN, overflow, deep
 * underflow) entering and leaving frames of several lengths, in many window partitions.
 */
class SlidingWindowTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void writeTable() {
        spark = SparkTestSession.get();
        List<Row> rows = new ArrayList<>(TestData.adversarial(47, 20_000, 40));
        double[][] odd = {{Double.POSITIVE_INFINITY, 1}, {1, Double.NaN}, {1e300, 1e300}, {1e-300, 1e-300},
            {-1e200, 1e200}, {5e-324, 3}, {1, Double.NEGATIVE_INFINITY}};
        for (int i = 0; i < 60; i++) { // spread through the rows and the partitions
            double[] pair = odd[i % odd.length];
            rows.add(331 * i % rows.size(), TestData.row(i % 40, pair[0], pair[1]));
        }
        List<Row> numbered = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            numbered.add(org.apache.spark.sql.RowFactory.create(row.get(0), row.get(1), row.get(2), (long) i));
        }
        spark.createDataFrame(numbered, TestData.KVW.add("i", org.apache.spark.sql.types.DataTypes.LongType, false))
                .repartition(3).write().parquet(dir.resolve("t").toString());
    }

    private static List<String> answers(String sql, boolean ours) {
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(SlidingWindowRule.ENABLED_KEY,
                Boolean.toString(ours))) {
            spark.read().parquet(dir.resolve("t").toString()).createOrReplaceTempView("t");
            Dataset<Row> query = spark.sql(sql);
            List<Row> result = query.collectAsList();
            String plan = query.queryExecution().executedPlan().toString();
            assertEquals(ours, plan.contains("SlidingWeightedAvg"), plan);
            List<String> rows = new ArrayList<>();
            for (Row row : result) {
                StringBuilder text = new StringBuilder();
                for (int c = 0; c < row.size(); c++) {
                    Object value = row.get(c);
                    if (value instanceof Row stats) {
                        value = bits(stats.get(0)) + "/" + bits(stats.get(1)) + "/" + stats.get(2);
                    }
                    text.append(bits(value)).append('|');
                }
                rows.add(text.toString());
            }
            rows.sort(null);
            return rows;
        } finally {
            spark.catalog().dropTempView("t");
        }
    }

    private static String bits(Object value) {
        return value instanceof Double d ? Long.toHexString(Double.doubleToRawLongBits(d)) : String.valueOf(value);
    }

    @Test
    void framesOfEveryLengthGiveTheWindowOperatorsBits() {
        String sql = """
                SELECT i,
                  weighted_avg(v, w) OVER (PARTITION BY k ORDER BY i ROWS BETWEEN 99 PRECEDING AND CURRENT ROW),
                  weighted_avg(v, w) OVER (PARTITION BY k ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
                  weighted_avg(v, w) OVER (PARTITION BY k ORDER BY i ROWS BETWEEN CURRENT ROW AND CURRENT ROW),
                  weighted_avg_stats(v, w) OVER (PARTITION BY k ORDER BY i
                                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                FROM t""";
        List<String> spark = answers(sql, false);
        assertEquals(20_060, spark.size(), "a row per row");
        assertTrue(spark.stream().anyMatch(r -> r.contains("7ff8000000000000")), "NaN frames expected");
        assertEquals(spark, answers(sql, true));
    }

    @Test
    void oneWindowPartitionAndOthersBesideKeepSparksOperatorWhereTheyMust() {
        String sql = "SELECT i, weighted_avg(v, w) OVER (ORDER BY i ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) FROM t";
        assertEquals(answers(sql, false), answers(sql, true));
        // a frame that does not end at the current row stays with Spark's operator
        String ahead = "SELECT i, weighted_avg(v, w) OVER (PARTITION BY k ORDER BY i "
                + "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t";
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(SlidingWindowRule.ENABLED_KEY, "true")) {
            spark.read().parquet(dir.resolve("t").toString()).createOrReplaceTempView("t");
            Dataset<Row> query = spark.sql(ahead);
            query.collectAsList();
            assertTrue(!query.queryExecution().executedPlan().toString().contains("SlidingWeightedAvg"));
        } finally {
            spark.catalog().dropTempView("t");
        }
    }
}
