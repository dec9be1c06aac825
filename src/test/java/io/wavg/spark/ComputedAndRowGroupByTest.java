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

import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.merge.HashMergeRule;
import io.wavg.spark.source.PushDownWeightedAvg;

/**
 * The generic path where the aggregate does not sit right on the scan's columns: a WHERE below it,
 * keys and arguments computed from the columns (the columnar aggregate evaluates them into extra
 * column vectors), Spark's own aggregates beside ours, a row-based scan and DISTINCT (the row partial
 * aggregate). Each must give every
 * group the bits of Spark's own plan, also when the partial aggregate emits its groups early
 * (maxGroups) and the final merge sorts.
 */
class ComputedAndRowGroupByTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void writeTable() {
        spark = SparkTestSession.get();
        TestData.frame(TestData.adversarial(43, 40_000, 1500)).createOrReplaceTempView("kvw");
        spark.sql("""
                SELECT k, v, w,
                       CAST(k AS BIGINT) * 1000003 AS kl,
                       CASE WHEN k % 97 = 0 THEN NULL ELSE concat('sym', k % 300) END AS ks,
                       CASE WHEN abs(w) < 1e6 THEN CAST(w * 1000 AS INT) END AS wi,
                       CASE WHEN abs(w) < 1e9 THEN CAST(w AS DECIMAL(18, 6)) END AS wd
                FROM kvw""").repartition(3).write().parquet(dir.resolve("t").toString());
        spark.catalog().dropTempView("kvw");
    }

    /**
     * Every result row as text (doubles as their bits), sorted, with our execs on or off; with them
     * on, the plan must hold each of {@code nodes}.
     */
    private static List<String> answers(String sql, boolean ours, int maxGroups, boolean vectorized,
                                        String... nodes) {
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false",
                ColumnarWeightedAvgRule.ENABLED_KEY, Boolean.toString(ours),
                ColumnarWeightedAvgRule.MAX_GROUPS_KEY, Integer.toString(maxGroups),
                HashMergeRule.ENABLED_KEY, Boolean.toString(ours),
                HashMergeRule.MAX_GROUPS_KEY, Integer.toString(maxGroups),
                "spark.sql.parquet.enableVectorizedReader", Boolean.toString(vectorized))) {
            spark.read().parquet(dir.resolve("t").toString()).createOrReplaceTempView("t");
            Dataset<Row> query = spark.sql(sql);
            List<Row> result = query.collectAsList();
            String plan = query.queryExecution().executedPlan().toString();
            for (String node : nodes) {
                assertEquals(ours, plan.contains(node), node + (ours ? " not taken" : " taken") + ":\n" + plan);
            }
            assertTrue(ours || !plan.contains("WeightedAvg "), "Spark's own plan expected:\n" + plan);
            List<String> rows = new ArrayList<>();
            for (Row row : result) {
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < row.size(); i++) {
                    text.append(show(row.get(i))).append('|');
                }
                rows.add(text.toString());
            }
            rows.sort(null);
            return rows;
        } finally {
            spark.catalog().dropTempView("t");
        }
    }

    private static String show(Object value) {
        if (value instanceof Row struct) {
            StringBuilder text = new StringBuilder("{");
            for (int i = 0; i < struct.size(); i++) {
                text.append(show(struct.get(i))).append(',');
            }
            return text.append('}').toString();
        }
        return value instanceof Double d ? Long.toHexString(Double.doubleToRawLongBits(d)) : String.valueOf(value);
    }

    private static void sameAsSparksPlan(String sql, boolean vectorized, String... nodes) {
        List<String> spark = answers(sql, false, 1 << 20, vectorized, nodes);
        assertTrue(spark.size() > 1, "some groups expected: " + spark);
        assertEquals(spark, answers(sql, true, 1 << 20, vectorized, nodes), sql);
        assertEquals(spark, answers(sql, true, 7, vectorized, nodes), sql + ", maxGroups 7");
    }

    @Test
    void computedKeysArgumentsAndAWhereGiveSparksBits() {
        sameAsSparksPlan("""
                SELECT CAST(k % 7 AS INT) AS k7, substring(ks, 1, 4) AS prefix,
                       weighted_avg(CAST(v AS FLOAT), w), weighted_avg_stats(v, wd * 2),
                       weighted_avg(v, CAST(wi AS DECIMAL(12, 1))) FILTER (WHERE kl % 3 = 0)
                FROM t WHERE kl % 5 <> 0 AND v > -1e300
                GROUP BY CAST(k % 7 AS INT), substring(ks, 1, 4)""", true,
                "ColumnarGroupedWeightedAvg", "computed=", "where=", "HashMergeWeightedAvg");
    }

    /** Spark's own aggregates beside ours keep the columnar path; their partial buffers are Spark's. */
    @Test
    void sparksAggregatesBesideOursGiveSparksAnswers() {
        sameAsSparksPlan("""
                SELECT ks, weighted_avg(v, w) AS vwap, count(*), count(wi), sum(wi), sum(k % 3), min(v), max(kl),
                       avg(wd), sum(wd), weighted_avg_stats(v, wi)
                FROM t WHERE kl % 7 <> 0 GROUP BY ks""", true, "ColumnarGroupedWeightedAvg", "beside=");
    }

    @Test
    void aWhereUnderAGlobalAggregateGivesSparksBits() {
        sameAsSparksPlan("SELECT weighted_avg(v, w), weighted_avg_stats(CAST(v AS DECIMAL(38, 6)), wi) FROM t "
                + "WHERE ks IS NOT NULL AND abs(v) < 1e20 UNION ALL SELECT weighted_avg(v, w), "
                + "weighted_avg_stats(v, wi) FROM t WHERE k % 2 = 0", true, "ColumnarWeightedAvg", "where=");
    }

    @Test
    void aRowScanGivesSparksBits() {
        sameAsSparksPlan("SELECT ks, k % 11 AS k11, weighted_avg(v, w), weighted_avg_stats(v, wi) "
                + "FILTER (WHERE kl % 2 = 0) FROM t WHERE v > -1e300 GROUP BY ks, k % 11", false,
                "RowGroupedWeightedAvg", "HashMergeWeightedAvg");
    }

    @Test
    void distinctPairsGiveSparksBits() {
        sameAsSparksPlan("SELECT ks, weighted_avg(DISTINCT v, wi), weighted_avg_stats(DISTINCT v, wi) FROM t "
                + "GROUP BY ks", true, "RowGroupedWeightedAvg", "HashMergeWeightedAvg");
    }
}
