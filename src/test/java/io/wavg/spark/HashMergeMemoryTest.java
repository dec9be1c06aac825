package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.bench.ChildJvm;
import io.wavg.spark.merge.HashMergeExec;
import io.wavg.spark.merge.HashMergeRule;
import io.wavg.spark.source.PushDownWeightedAvg;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The hash merge after the shuffle in a task with little execution memory (a child JVM whose memory
 * manager has 12 MB): the sums' reservation is refused, the groups go to Spark's external sorter
 * (which spills), and every group still gets the bits of Spark's own plan, on the generic and the
 * pushed path.
 */
class HashMergeMemoryTest {
    private static final String QUERY = "SELECT k, weighted_avg(v, w) FROM parquet.`%s` GROUP BY k";

    @TempDir
    Path dir;

    @Test
    void groupsBeyondTheMemoryGoThroughTheSorterWithTheSameBits() throws IOException, InterruptedException {
        String table = dir.resolve("t").toString();
        SparkSession spark = SparkTestSession.get();
        spark.range(600_000).selectExpr("id % 150000 AS k", "rand(1) * 100 AS w", "randn(2) * 1000 + 50 AS v")
                .repartition(3).write().parquet(table);
        String expected;
        try (SparkTestSession.ConfScope sparksOwnPlan = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY,
                "false", HashMergeRule.ENABLED_KEY, "false")) {
            expected = answers(spark.sql(String.format(QUERY, table)));
        }
        for (String pushdown : List.of("false", "true")) {
            Process child = new ProcessBuilder(ChildJvm.command("1g", Child.class, List.of(table, pushdown)))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, child.waitFor(), out);
            String[] lines = out.split("\n", 2);
            assertTrue(Long.parseLong(lines[0].replace("spills ", "")) > 0, "the sorter was used: " + lines[0]);
            assertEquals(expected, lines[1].strip(), "pushdown " + pushdown);
        }
    }

    /** Each group's answer as key and bits, one a line, in key order. */
    static String answers(Dataset<Row> query) {
        TreeMap<Long, String> byKey = new TreeMap<>();
        for (Row row : query.collectAsList()) {
            byKey.put(row.getLong(0), row.isNullAt(1) ? "null" : Long.toHexString(Double.doubleToRawLongBits(
                    row.getDouble(1))));
        }
        StringBuilder text = new StringBuilder();
        byKey.forEach((k, bits) -> text.append(k).append(' ').append(bits).append('\n'));
        return text.toString().strip();
    }

    /** Runs the query with 12 MB of execution memory; prints the merge's spills, then the answers. */
    public static final class Child {
        public static void main(String[] args) {
            SparkSession spark = SparkSession.builder().master("local[1]")
                    .config("spark.sql.extensions", WeightedAvgExtensions.class.getName())
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "1")
                    .config("spark.testing.memory", String.valueOf(20L << 20))
                    .config("spark.testing.reservedMemory", "0")
                    .config(PushDownWeightedAvg.ENABLED_KEY, args[1])
                    .getOrCreate();
            Dataset<Row> query = spark.sql(String.format(QUERY, args[0]));
            String answers = answers(query);
            SparkPlan plan = query.queryExecution().executedPlan();
            long spills = 0;
            for (SparkPlan node : nodes(plan instanceof AdaptiveSparkPlanExec adaptive
                    ? adaptive.finalPhysicalPlan() : plan)) {
                if (node instanceof HashMergeExec merge) {
                    spills += merge.metrics().apply("spills").value();
                }
            }
            System.out.println("spills " + spills);
            System.out.println(answers);
            spark.stop();
        }

        private static List<SparkPlan> nodes(SparkPlan plan) {
            List<SparkPlan> nodes = new ArrayList<>(List.of(plan));
            if (plan instanceof QueryStageExec stage) {
                nodes.addAll(nodes(stage.plan()));
            }
            for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
                nodes.addAll(nodes(child));
            }
            return nodes;
        }
    }
}
