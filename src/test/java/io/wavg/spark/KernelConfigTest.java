package io.wavg.spark;

import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.kernel.KernelChoice;
import io.wavg.kernel.KernelMode;
import io.wavg.kernel.Kernels;
import scala.jdk.javaapi.CollectionConverters;

/** spark.wavg.kernel and spark.wavg.kernel.library, read when a query is analyzed. */
class KernelConfigTest {
    private static final String QUERY = "SELECT weighted_avg(v, w) FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D) AS t(v, w)";

    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static List<Row> rows;
    private static Dataset<Row> data;

    @BeforeAll
    static void writeParquet() {
        spark = SparkTestSession.get();
        // groups of thousands of rows make the row path hand the kernel several full batches per group
        rows = TestData.adversarial(99, 30_000, 6);
        String path = dir.resolve("kernels").toString();
        TestData.frame(rows).repartition(3).write().parquet(path);
        data = spark.read().parquet(path);
    }

    /** Global and per-group results, plus the kernel choices the analyzed plan carries. */
    private record Run(List<Row> global, List<Row> grouped, List<KernelChoice> choices) {}

    private static Run run(String mode) {
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(KernelChoice.MODE_KEY, mode)) {
            Dataset<Row> global = data.agg(expr("weighted_avg(v, w)"), expr("weighted_avg_stats(v, w)"));
            Dataset<Row> grouped = data.groupBy("k").agg(expr("weighted_avg(v, w)"), expr("weighted_avg_stats(v, w)"))
                    .orderBy("k");
            return new Run(global.collectAsList(), grouped.collectAsList(), choices(grouped));
        }
    }

    private static List<KernelChoice> choices(Dataset<Row> query) {
        List<KernelChoice> choices = new ArrayList<>();
        query.queryExecution().analyzed().foreach(node -> {
            for (Expression e : CollectionConverters.asJava(node.expressions())) {
                e.foreach(x -> {
                    if (x instanceof WeightedAvg avg) {
                        choices.add(avg.kernelChoice());
                    }
                    return null;
                });
            }
            return null;
        });
        return choices;
    }

    @Test
    void nativeAndJavaKernelsGiveIdenticalBits() {
        assertDoesNotThrow(Kernels::bundledNative, "the bundled native kernel must load on this platform");
        Run java = run("java");
        Run nativeRun = run("native");
        Run auto = run("auto");
        assertTrue(java.choices().stream().allMatch(c -> c.mode() == KernelMode.JAVA), java.choices()::toString);
        assertTrue(nativeRun.choices().stream().allMatch(c -> c.mode() == KernelMode.NATIVE),
                nativeRun.choices()::toString);
        assertEquals(2, java.choices().size(), "weighted_avg and weighted_avg_stats");

        // Row.equals compares doubles by value; the bits are checked against the reference below
        assertEquals(java.global(), nativeRun.global());
        assertEquals(java.global(), auto.global());
        assertEquals(java.grouped(), nativeRun.grouped());
        assertEquals(java.grouped(), auto.grouped());
        for (Run run : List.of(java, nativeRun, auto)) {
            assertTrue(TestData.sameBits(TestData.reference(rows).average(), run.global().get(0).get(0)));
            for (Row row : run.grouped()) {
                Double exact = TestData.referenceByGroup(rows).get(row.getInt(0)).average();
                assertTrue(TestData.sameBits(exact, row.get(1)), () -> "group " + row.getInt(0) + ": "
                        + TestData.show(row.get(1)) + ", exact " + TestData.show(exact));
                assertTrue(TestData.sameBits(exact, row.getStruct(2).get(0)));
            }
        }
    }

    @Test
    void kernelChoiceIsTakenWhenTheQueryIsAnalyzedAndRestored() {
        String before = spark.conf().get(KernelChoice.MODE_KEY, "auto");
        run("java");
        assertEquals(before, spark.conf().get(KernelChoice.MODE_KEY, "auto"));
        Dataset<Row> query = spark.sql(QUERY);
        assertEquals(KernelChoice.DEFAULT.mode(), choices(query).get(0).mode());
    }

    @Test
    void unknownModeFailsWithAClearError() {
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(KernelChoice.MODE_KEY, "bogus")) {
            Throwable error = assertThrows(Throwable.class, () -> spark.sql(QUERY).collectAsList());
            String messages = TestData.messages(error);
            assertTrue(messages.contains("weighted_avg"), messages);
            assertTrue(messages.contains(KernelChoice.MODE_KEY), messages);
            assertTrue(messages.contains("'bogus'"), messages);
            assertTrue(messages.contains("auto, native or java"), messages);
        }
        assertEquals(List.of(1.3333333333333333), spark.sql(QUERY).collectAsList().stream().map(r -> r.get(0)).toList(),
                "the session works again once the setting is restored");
    }

    @Test
    void missingLibraryFailsNamingTheFile() {
        String missing = dir.resolve("no-such-libwavg.so").toString();
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(KernelChoice.LIBRARY_KEY, missing)) {
            // the kernel is loaded where the aggregate runs, so this fails in a task and Spark wraps it
            Throwable error = assertThrows(Throwable.class, () -> spark.sql(QUERY).collectAsList());
            String messages = TestData.messages(error);
            assertTrue(messages.contains(missing), messages);
            assertTrue(messages.contains("weighted_avg"), messages);
            assertTrue(messages.contains(KernelChoice.LIBRARY_KEY), messages);
        }
    }

    @Test
    void fileThatIsNotALibraryFailsNamingTheFile() throws Exception {
        Path notALibrary = Files.writeString(dir.resolve("not-a-library.so"), "just text\n");
        try (SparkTestSession.ConfScope ignored =
                     SparkTestSession.withConf(KernelChoice.LIBRARY_KEY, notALibrary.toString())) {
            Throwable error = assertThrows(Throwable.class, () -> spark.sql(QUERY).collectAsList());
            String messages = TestData.messages(error);
            assertTrue(messages.contains(notALibrary.toString()), messages);
            assertTrue(messages.contains("weighted_avg"), messages);
        }
    }

    @Test
    void userLibraryExportingWeightedAvgIsUsed() {
        // the bundled kernel also exports the user-facing weighted_avg(), so it can stand in for a user's
        String library = System.getProperty("wavg.nativeLibrary");
        assumeTrue(library != null && Files.isRegularFile(Path.of(library)), "wavg.nativeLibrary is not built");
        try (SparkTestSession.ConfScope ignored = SparkTestSession.withConf(KernelChoice.LIBRARY_KEY, library)) {
            Dataset<Row> query = spark.sql(QUERY);
            assertEquals(library, choices(query).get(0).library());
            assertEquals(1.3333333333333333, query.first().getDouble(0));

            // batches are merged by their rounded averages: close to exact, though not exact in general
            Random random = new Random(3);
            List<Row> positive = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                positive.add(TestData.row(i % 3, TestData.ordinaryValue(random), TestData.ordinaryWeight(random)));
            }
            double result = TestData.frame(positive).agg(expr("weighted_avg(v, w)")).first().getDouble(0);
            double exact = TestData.reference(positive).average();
            assertEquals(exact, result, Math.abs(exact) * 1e-12);
        }
    }
}
