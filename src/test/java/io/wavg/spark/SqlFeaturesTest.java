package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Window frames, FILTER and DISTINCT on Parquet data, each checked against the exact reference. */
class SqlFeaturesTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
    }

    @AfterAll
    static void dropViews() {
        for (String view : List.of("window_data", "filter_data", "distinct_data")) {
            spark.catalog().dropTempView(view);
        }
    }

    private static void parquetView(String name, StructType schema, List<Row> rows, int files) {
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, schema).repartition(files).write().parquet(path);
        spark.read().parquet(path).createOrReplaceTempView(name);
    }

    // ---- window --------------------------------------------------------------------------------------

    @Test
    void windowFramesAreExact() {
        StructType schema = new StructType()
                .add("k", DataTypes.IntegerType).add("o", DataTypes.IntegerType)
                .add("v", DataTypes.DoubleType).add("w", DataTypes.DoubleType);
        Random random = new Random(11);
        Map<Integer, List<Double[]>> partitions = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            List<Double[]> ordered = new ArrayList<>();
            for (int o = 0; o < 250; o++) {
                Double v;
                Double w;
                if (k == 3 && o % 3 != 2) { // huge weights of alternating sign: running sums cancel
                    v = 1.0 + o % 7;
                    w = (o % 3 == 0 ? 1 : -1) * 1e17;
                } else {
                    v = random.nextInt(20) == 0 ? null : TestData.ordinaryValue(random);
                    w = random.nextInt(20) == 0 ? null : TestData.ordinaryWeight(random);
                }
                ordered.add(new Double[] {v, w});
                rows.add(RowFactory.create(k, o, v, w));
            }
            partitions.put(k, ordered);
        }
        parquetView("window_data", schema, rows, 3);

        List<Row> result = spark.sql("""
                SELECT k, o,
                       weighted_avg(v, w) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
                       weighted_avg(v, w) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                       weighted_avg(v, w) OVER (PARTITION BY k),
                       weighted_avg_stats(v, w) OVER (PARTITION BY k ORDER BY o ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)
                FROM window_data ORDER BY k, o""").collectAsList();
        assertEquals(rows.size(), result.size());
        for (Row row : result) {
            List<Double[]> ordered = partitions.get(row.getInt(0));
            int o = row.getInt(1);
            String where = "k=" + row.getInt(0) + ", o=" + o;
            assertSame(frame(ordered, o - 1, o).average(), row.get(2), where + ", 1 preceding");
            assertSame(frame(ordered, 0, o).average(), row.get(3), where + ", unbounded preceding");
            assertSame(frame(ordered, 0, ordered.size() - 1).average(), row.get(4), where + ", whole partition");
            ExactReference centred = frame(ordered, o - 2, o + 2);
            assertSame(centred.average(), row.getStruct(5).get(0), where + ", stats");
            assertEquals(centred.pairs(), row.getStruct(5).getLong(2), where + ", stats pairs");
        }
    }

    private static ExactReference frame(List<Double[]> ordered, int from, int to) {
        ExactReference reference = new ExactReference();
        for (int i = Math.max(from, 0); i <= Math.min(to, ordered.size() - 1); i++) {
            reference.add(ordered.get(i)[0], ordered.get(i)[1]);
        }
        return reference;
    }

    private static void assertSame(Double expected, Object actual, String where) {
        assertTrue(TestData.sameBits(expected, actual),
                () -> where + ": got " + TestData.show(actual) + ", exact " + TestData.show(expected));
    }

    // ---- FILTER --------------------------------------------------------------------------------------

    @Test
    void filterSelectsThePairsOfEachAggregate() {
        List<Row> rows = TestData.adversarial(31, 20_000, 10);
        parquetView("filter_data", TestData.KVW, rows, 4);
        List<Row> result = spark.sql("""
                SELECT k,
                       weighted_avg(v, w) FILTER (WHERE w > 0),
                       weighted_avg(v, w) FILTER (WHERE w <= 0 OR v IS NULL),
                       weighted_avg(v, w) FILTER (WHERE k < 0),
                       weighted_avg(v, w)
                FROM filter_data GROUP BY k""").collectAsList();
        assertEquals(10, result.size());
        for (Row row : result) {
            int k = row.getInt(0);
            ExactReference positive = new ExactReference();
            ExactReference rest = new ExactReference();
            ExactReference all = new ExactReference();
            for (Row r : rows) {
                if (r.getInt(0) == k) {
                    Double v = TestData.value(r);
                    Double w = TestData.weight(r);
                    (w != null && w > 0 ? positive : rest).add(v, w);
                    all.add(v, w);
                }
            }
            assertSame(positive.average(), row.get(1), "group " + k + ", w > 0");
            assertSame(rest.average(), row.get(2), "group " + k + ", w <= 0");
            assertNull(row.get(3), "group " + k + ": a filter no row passes gives NULL");
            assertSame(all.average(), row.get(4), "group " + k + ", unfiltered");
        }

        Row global = spark.sql("SELECT weighted_avg(v, w) FILTER (WHERE w > 0) FROM filter_data").first();
        ExactReference positive = new ExactReference();
        rows.stream().filter(r -> !r.isNullAt(2) && r.getDouble(2) > 0)
                .forEach(r -> positive.add(TestData.value(r), TestData.weight(r)));
        assertSame(positive.average(), global.get(0), "global FILTER");
    }

    // ---- DISTINCT ------------------------------------------------------------------------------------

    @Test
    void distinctCountsEachPairOnce() {
        Random random = new Random(41);
        double[] values = {1.0, 2.5, -4.0, 1e10, 0.1};
        double[] weights = {1.0, 3.0, 0.5, 1e-3, 7.0};
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            int k = random.nextInt(6);
            Double v = random.nextInt(30) == 0 ? null : values[random.nextInt(values.length)];
            // a group's weights depend on k, so its distinct pairs differ from its distinct values
            Double w = random.nextInt(30) == 0 ? null : weights[(random.nextInt(3) + k) % weights.length];
            rows.add(TestData.row(k, v, w));
        }
        parquetView("distinct_data", TestData.KVW, rows, 3);

        // alone (one distinct group), and beside plain and other DISTINCT aggregates (rewritten with Expand)
        List<Row> single = spark.sql(
                "SELECT k, weighted_avg(DISTINCT v, w) FROM distinct_data GROUP BY k").collectAsList();
        List<Row> mixed = spark.sql("""
                SELECT k, weighted_avg(DISTINCT v, w), weighted_avg(v, w), count(DISTINCT v),
                       weighted_avg(DISTINCT v, w) FILTER (WHERE w > 1)
                FROM distinct_data GROUP BY k""").collectAsList();
        assertEquals(6, single.size());
        assertEquals(6, mixed.size());
        Map<Integer, Row> singleByKey = new HashMap<>();
        single.forEach(r -> singleByKey.put(r.getInt(0), r));
        for (Row row : mixed) {
            int k = row.getInt(0);
            Set<List<Double>> pairs = new LinkedHashSet<>();
            ExactReference all = new ExactReference();
            for (Row r : rows) {
                if (r.getInt(0) == k) {
                    pairs.add(Arrays.asList(TestData.value(r), TestData.weight(r)));
                    all.add(TestData.value(r), TestData.weight(r));
                }
            }
            ExactReference distinct = new ExactReference();
            ExactReference distinctHeavy = new ExactReference();
            for (List<Double> pair : pairs) {
                distinct.add(pair.get(0), pair.get(1));
                if (pair.get(1) != null && pair.get(1) > 1) {
                    distinctHeavy.add(pair.get(0), pair.get(1));
                }
            }
            assertTrue(distinct.pairs() < all.pairs(), "the data must repeat pairs");
            assertSame(distinct.average(), singleByKey.get(k).get(1), "group " + k + ", DISTINCT alone");
            assertSame(distinct.average(), row.get(1), "group " + k + ", DISTINCT beside others");
            assertSame(all.average(), row.get(2), "group " + k + ", plain");
            assertSame(distinctHeavy.average(), row.get(4), "group " + k + ", DISTINCT with FILTER");
        }
    }
}
