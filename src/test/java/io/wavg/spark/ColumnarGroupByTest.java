package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.merge.HashMergeRule;
import io.wavg.spark.source.PushDownWeightedAvg;

/**
 * GROUP BY on the generic path over Spark's own Parquet reader (pushdown off): the columnar partial
 * aggregate and the hash merge after the shuffle must give every group the bits of Spark's own plan,
 * for keys of every type (NULLs, -0.0, a partition column, several keys), numeric arguments of every
 * type, and when they meet more than maxGroups groups: the partial then emits its groups early, the
 * merge hands them to Spark's external sorter and ends in key order.
 */
class ColumnarGroupByTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static List<Row> rows;

    @BeforeAll
    static void writeTable() {
        spark = SparkTestSession.get();
        rows = TestData.adversarial(41, 60_000, 2000);
        TestData.frame(rows).createOrReplaceTempView("kvw");
        Dataset<Row> table = spark.sql("""
                SELECT k, v, w,
                       CAST(k AS BIGINT) * 1000003 AS kl,
                       CASE WHEN k % 97 = 0 THEN NULL ELSE concat('sym', k % 300) END AS ks,
                       date_add(DATE'2026-01-01', k % 20) AS kd,
                       timestamp_seconds(1700000000 + (k % 50) * 3600) AS kt,
                       CAST(k % 123 AS DECIMAL(10, 2)) / 4 AS kdec,
                       CASE WHEN k % 3 = 0 THEN -0.0 WHEN k % 3 = 1 THEN 0.0 ELSE CAST(k % 11 AS DOUBLE) END AS kf,
                       CASE WHEN abs(w) < 1e12 THEN CAST(w * 1000 AS BIGINT) END AS wl,
                       CASE WHEN abs(w) < 1e6 THEN CAST(w * 1000 AS INT) END AS wi,
                       CAST(w AS FLOAT) AS wf,
                       CASE WHEN abs(w) < 1e9 THEN CAST(w AS DECIMAL(18, 6)) END AS wd
                FROM kvw""");
        table.repartition(3).write().parquet(dir.resolve("plain").toString());
        table.repartition(2).write().partitionBy("kd").parquet(dir.resolve("by-day").toString());
        spark.catalog().dropTempView("kvw");
    }

    /** Each group's answer by key, doubles as their bits, from a query with the given settings. */
    private static Map<String, String> answers(String table, String keys, String weight, boolean wanted,
                                               int maxGroups) {
        return answers(table, keys, "weighted_avg(v, " + weight + "), weighted_avg_stats(v, " + weight + ")", weight,
                wanted, maxGroups);
    }

    private static Map<String, String> answers(String table, String keys, String aggregates, String weight,
                                               boolean wanted, int maxGroups) {
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false",
                ColumnarWeightedAvgRule.ENABLED_KEY, Boolean.toString(wanted),
                ColumnarWeightedAvgRule.MAX_GROUPS_KEY, Integer.toString(maxGroups),
                HashMergeRule.ENABLED_KEY, Boolean.toString(wanted),
                HashMergeRule.MAX_GROUPS_KEY, Integer.toString(maxGroups))) {
            spark.read().parquet(dir.resolve(table).toString()).createOrReplaceTempView("t");
            Dataset<Row> query = spark.sql("SELECT " + keys + ", " + aggregates + " FROM t GROUP BY " + keys);
            List<Row> result = query.collectAsList();
            // after the run, as adaptive execution plans each stage when it starts
            String plan = query.queryExecution().executedPlan().toString();
            for (String node : List.of("ColumnarGroupedWeightedAvg", "HashMergeWeightedAvg")) {
                if (plan.contains(node) != wanted) {
                    throw new AssertionError(node + (wanted ? " not taken" : " taken") + " for " + keys + " by "
                            + weight + ":\n" + plan);
                }
            }
            int width = keys.split(",").length;
            Map<String, String> byKey = new TreeMap<>();
            for (Row row : result) {
                StringBuilder key = new StringBuilder();
                for (int k = 0; k < width; k++) {
                    key.append(show(row.get(k))).append('|');
                }
                Row stats = row.getStruct(width + 1);
                byKey.put(key.toString(), show(row.get(width)) + " " + show(stats.get(0)) + " " + show(stats.get(1))
                        + " " + stats.get(2));
            }
            return byKey;
        } finally {
            spark.catalog().dropTempView("t");
        }
    }

    private static String show(Object value) {
        return value instanceof Double d ? Long.toHexString(Double.doubleToRawLongBits(d)) : String.valueOf(value);
    }

    private static void sameAsRowPath(String table, String keys, String weight) {
        Map<String, String> rowPath = answers(table, keys, weight, false, 1 << 20);
        Map<String, String> columnar = answers(table, keys, weight, true, 1 << 20);
        Map<String, String> flushing = answers(table, keys, weight, true, 7); // and the final merge sorts
        assertFalse(rowPath.isEmpty());
        assertEquals(rowPath, columnar, keys + " by " + weight + " over " + table);
        assertEquals(rowPath, flushing, keys + " by " + weight + " over " + table + ", maxGroups 7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"k", "kl", "ks", "kd", "kt", "kdec", "kf", "ks, kd", "kd, ks, kf, kl"})
    void everyKeyTypeGivesTheRowPathsBits(String keys) {
        sameAsRowPath("plain", keys, "w");
    }

    @ParameterizedTest
    @ValueSource(strings = {"wl", "wi", "wf", "wd"})
    void everyArgumentTypeGivesTheRowPathsBits(String weight) {
        sameAsRowPath("plain", "ks", weight);
    }

    @ParameterizedTest
    @ValueSource(strings = {"kd", "ks, kd", "kd, k"})
    void partitionColumnsAsKeys(String keys) {
        sameAsRowPath("by-day", keys, "wl");
    }

    /** FILTER clauses skip rows per function; a group whose rows a filter rejects all still appears. */
    @Test
    void filterClausesGiveTheRowPathsBits() {
        String aggregates = "weighted_avg(v, w) FILTER (WHERE kl % 3 = 0 AND v > 0), "
                + "weighted_avg_stats(v, wl) FILTER (WHERE ks IS NOT NULL)";
        Map<String, String> rowPath = answers("by-day", "kd, kdec", aggregates, "w", false, 1 << 20);
        Map<String, String> columnar = answers("by-day", "kd, kdec", aggregates, "w", true, 1 << 20);
        assertEquals(rowPath, columnar);
        assertTrue(rowPath.values().stream().anyMatch(v -> v.startsWith("null ")), "a group the filter empties");
    }

    @Test
    void everyGroupIsExact() {
        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        Map<String, String> columnar = answers("plain", "k", "w", true, 1 << 20);
        assertEquals(exact.size(), columnar.size());
        exact.forEach((k, reference) -> {
            String expected = show(reference.average()) + " " + show(reference.average()) + " "
                    + show(reference.totalWeight()) + " " + reference.pairs();
            assertEquals(expected, columnar.get(k + "|"), "group " + k);
        });
        assertTrue(columnar.size() > 1000);
    }
}
