package io.wavg.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.source.PushDownWeightedAvg;

/**
 * The same Parquet data read as one file or seven, in one partition or many, in any row order, must
 * give the exact result with identical bits; the data is chosen so that Spark's own
 * sum(v * w) / sum(w) does not.
 */
class PartitioningInvarianceTest {
    private static final int ROWS = 60_000;
    private static final int GROUPS = 16;

    @TempDir
    static Path dir;

    private static List<Row> rows;
    private static String oneFile;
    private static String sevenFiles;

    @BeforeAll
    static void writeParquet() {
        rows = TestData.adversarial(20_240_611L, ROWS, GROUPS);
        Dataset<Row> data = TestData.frame(rows);
        oneFile = dir.resolve("one-file").toString();
        sevenFiles = dir.resolve("seven-files").toString();
        data.coalesce(1).write().parquet(oneFile);
        data.repartition(7).write().parquet(sevenFiles);
    }

    /** Each way of reading the data, by name. */
    private static Map<String, Dataset<Row>> layouts() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> one = spark.read().parquet(oneFile);
        Dataset<Row> seven = spark.read().parquet(sevenFiles);
        assertEquals(1, one.inputFiles().length);
        assertEquals(7, seven.inputFiles().length);
        assertEquals(1, one.rdd().getNumPartitions(), "one small file is one partition");
        assertTrue(seven.rdd().getNumPartitions() > 1, "seven files are read in several partitions");

        Map<String, Dataset<Row>> layouts = new LinkedHashMap<>();
        layouts.put("1 file, 1 partition", one);
        layouts.put("1 file, round-robin into 8 partitions", one.repartition(8));
        layouts.put("1 file, sorted by v", one.orderBy("v"));
        layouts.put("7 files, as read", seven);
        layouts.put("7 files, coalesced into 1 partition", seven.coalesce(1));
        layouts.put("7 files, hashed on w into 5 partitions", seven.repartition(5, col("w")));
        layouts.put("7 files, sorted by w descending", seven.orderBy(col("w").desc()));
        return layouts;
    }

    @ParameterizedTest(name = "columnar fast path enabled: {0}")
    @ValueSource(booleans = {true, false})
    void globalResultIsExactWithTheSameBitsForEveryLayout(boolean columnar) {
        // a global aggregate of weighted_avg alone straight over a scan may take the columnar fast
        // path (when not pushed into the scan); with it and without it every layout must give the exact bits
        ExactReference exact = TestData.reference(rows);
        int columnarPlans = 0;
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false",
                ColumnarWeightedAvgRule.ENABLED_KEY, Boolean.toString(columnar))) {
            for (Map.Entry<String, Dataset<Row>> layout : layouts().entrySet()) {
                Dataset<Row> query = layout.getValue().agg(expr("weighted_avg(v, w)"), expr("weighted_avg_stats(v, w)"));
                Row result = query.collectAsList().get(0); // runs this Dataset, so its adaptive plan is final
                if (query.queryExecution().executedPlan().toString().contains("ColumnarWeightedAvg")) {
                    columnarPlans++;
                }
                String where = layout.getKey();
                assertTrue(TestData.sameBits(exact.average(), result.get(0)), () -> where + ": weighted_avg "
                        + TestData.show(result.get(0)) + ", exact " + TestData.show(exact.average()));
                Row stats = result.getStruct(1);
                assertTrue(TestData.sameBits(exact.average(), stats.get(0)), where);
                assertTrue(TestData.sameBits(exact.totalWeight(), stats.get(1)), () -> where + ": total_weight "
                        + TestData.show(stats.get(1)) + ", exact " + TestData.show(exact.totalWeight()));
                assertEquals(exact.pairs(), stats.getLong(2), where);
            }
        }
        if (columnar) {
            assertTrue(columnarPlans > 0, "no layout took the columnar fast path");
        } else {
            assertEquals(0, columnarPlans);
        }
    }

    @Test
    void sparkBuiltInSumDependsOnTheLayout() {
        // the data has to be hard: otherwise the tests of identical bits would prove nothing.
        // try_divide: Spark's rounded sum of the weights may come out 0
        Double exact = TestData.reference(rows).average();
        List<Object> builtIn = new ArrayList<>();
        for (Dataset<Row> layout : layouts().values()) {
            builtIn.add(layout.agg(expr("try_divide(sum(v * w), sum(w))")).first().get(0));
        }
        assertTrue(builtIn.stream().anyMatch(b -> !TestData.sameBits(exact, b)),
                () -> "sum(v * w) / sum(w) was exact in every layout: " + builtIn);
    }

    @Test
    void groupedResultsAreExactWithTheSameBitsForEveryLayout() {
        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        int builtInMisses = 0;
        for (Map.Entry<String, Dataset<Row>> layout : layouts().entrySet()) {
            List<Row> result = layout.getValue().groupBy("k")
                    .agg(expr("weighted_avg(v, w)"), expr("try_divide(sum(v * w), sum(w))"))
                    .collectAsList();
            assertEquals(exact.size(), result.size(), layout.getKey());
            for (Row row : result) {
                Double expected = exact.get(row.getInt(0)).average();
                assertTrue(TestData.sameBits(expected, row.get(1)), () -> layout.getKey() + ", group " + row.getInt(0)
                        + ": weighted_avg " + TestData.show(row.get(1)) + ", exact " + TestData.show(expected));
                if (!TestData.sameBits(expected, row.get(2))) {
                    builtInMisses++;
                }
            }
        }
        assertTrue(builtInMisses > 0, "sum(v * w) / sum(w) was exact for every group in every layout");
    }

    @Test
    void sortAggregateGivesTheSameBits() {
        // without ObjectHashAggregate, Spark sorts by key and aggregates with SortAggregate instead
        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        try (SparkTestSession.ConfScope ignored =
                     SparkTestSession.withConf("spark.sql.execution.useObjectHashAggregateExec", "false")) {
            Dataset<Row> query = SparkTestSession.get().read().parquet(sevenFiles)
                    .groupBy("k").agg(expr("weighted_avg(v, w)"));
            List<Row> result = query.collectAsList();
            assertTrue(query.queryExecution().executedPlan().toString().contains("SortAggregate"),
                    () -> query.queryExecution().executedPlan().toString());
            assertEquals(exact.size(), result.size());
            for (Row row : result) {
                Double expected = exact.get(row.getInt(0)).average();
                assertTrue(TestData.sameBits(expected, row.get(1)), () -> "group " + row.getInt(0));
            }
        }
    }
}
