package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateMode;
import org.apache.spark.sql.catalyst.expressions.aggregate.Final$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.plans.physical.HashPartitioning;
import org.apache.spark.sql.catalyst.plans.physical.SinglePartition$;
import org.apache.spark.sql.execution.HiveResult$;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.execution.exchange.ShuffleExchangeExec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.columnar.ColumnarGroupedWeightedAvgExec;
import io.wavg.spark.columnar.ColumnarWeightedAvgExec;
import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.merge.HashMergeExec;
import io.wavg.spark.source.PushDownWeightedAvg;

import scala.jdk.javaapi.CollectionConverters;

/**
 * Spark's generic path (pushdown into the scan off) aggregates partially before the shuffle; DESCRIBE
 * FUNCTION documents both functions.
 */
class PlanAndDocsTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static SparkTestSession.ConfScope genericPath;

    @BeforeAll
    static void writeParquet() {
        spark = SparkTestSession.get();
        genericPath = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false");
        String path = dir.resolve("plan").toString();
        TestData.frame(TestData.adversarial(3, 2000, 5)).repartition(3).write().parquet(path);
        spark.read().parquet(path).createOrReplaceTempView("plan_data");
    }

    @AfterAll
    static void dropView() {
        spark.catalog().dropTempView("plan_data");
        genericPath.close();
    }

    // ---- plan ----------------------------------------------------------------------------------------

    @Test
    void groupedAggregationIsPartialBeforeAHashExchangeAndFinalAfterIt() {
        Dataset<Row> query = spark.sql("SELECT k, weighted_avg(v, w) FROM plan_data GROUP BY k");
        assertEquals(5, query.collectAsList().size()); // runs the query, so the adaptive plan is final
        ShuffleExchangeExec exchange = assertPartialThenFinal(query.queryExecution().executedPlan());
        assertTrue(exchange.outputPartitioning() instanceof HashPartitioning, exchange.outputPartitioning()::toString);
        String plan = query.queryExecution().executedPlan().toString();
        assertTrue(plan.contains("HashMergeWeightedAvg keys=[k"), "the states merge by hash after the shuffle:\n" + plan);
    }

    @Test
    void globalAggregationIsPartialBeforeASinglePartitionExchange() {
        // over a Parquet scan the partial side may be the columnar fast path, itself a partial aggregate
        Dataset<Row> query = spark.sql("SELECT weighted_avg(v, w), weighted_avg_stats(v, w) FROM plan_data");
        query.collectAsList();
        ShuffleExchangeExec exchange = assertPartialThenFinal(query.queryExecution().executedPlan());
        assertEquals(SinglePartition$.MODULE$, exchange.outputPartitioning());
    }

    @Test
    void rowPathGlobalAggregationIsASparkPartialAggregate() {
        try (SparkTestSession.ConfScope ignored =
                     SparkTestSession.withConf(ColumnarWeightedAvgRule.ENABLED_KEY, "false")) {
            Dataset<Row> query = spark.sql("SELECT weighted_avg(v, w) FROM plan_data");
            query.collectAsList();
            List<SparkPlan> nodes = new ArrayList<>();
            collect(query.queryExecution().executedPlan(), nodes);
            assertTrue(nodes.stream().noneMatch(n -> n instanceof ColumnarWeightedAvgExec), nodes::toString);
            assertPartialThenFinal(query.queryExecution().executedPlan());
        }
    }

    @Test
    void explainNamesThePartialAggregate() {
        String explain = spark.sql("EXPLAIN SELECT k, weighted_avg(v, w) FROM plan_data GROUP BY k")
                .collectAsList().get(0).getString(0);
        assertTrue(explain.contains("partial_weighted_avg(v"), explain);
        assertTrue(explain.contains("Exchange hashpartitioning(k"), explain);
        int partial = explain.indexOf("partial_weighted_avg");
        int exchange = explain.indexOf("Exchange");
        assertTrue(exchange < partial, "EXPLAIN prints the root first, so the exchange comes before its child:\n"
                + explain);
    }

    /**
     * Asserts that the plan has an aggregate computing weighted_avg in Partial mode below a shuffle
     * exchange and one in Final mode above it, and returns that exchange.
     */
    private static ShuffleExchangeExec assertPartialThenFinal(SparkPlan root) {
        List<SparkPlan> nodes = new ArrayList<>();
        collect(root, nodes);
        String shape = nodes.stream().map(n -> n.getClass().getSimpleName()).collect(Collectors.joining(" <- "));
        SparkPlan finalAggregate = nodes.stream().filter(n -> n instanceof HashMergeExec).findFirst()
                .orElse((SparkPlan) findAggregate(nodes, Final$.MODULE$));
        assertNotNull(finalAggregate, "no Final weighted_avg aggregate in " + shape);
        List<SparkPlan> belowFinal = new ArrayList<>();
        collect(finalAggregate.children().head(), belowFinal);
        ShuffleExchangeExec exchange = (ShuffleExchangeExec) belowFinal.stream()
                .filter(n -> n instanceof ShuffleExchangeExec).findFirst().orElse(null);
        assertNotNull(exchange, "no shuffle exchange below the Final aggregate in " + shape);
        List<SparkPlan> belowExchange = new ArrayList<>();
        collect(exchange.child(), belowExchange);
        assertTrue(belowExchange.stream().anyMatch(n -> n instanceof ColumnarWeightedAvgExec
                        || n instanceof ColumnarGroupedWeightedAvgExec)
                        || findAggregate(belowExchange, Partial$.MODULE$) != null,
                "no Partial weighted_avg aggregate below the exchange in " + shape);
        assertFalse(belowExchange.stream().anyMatch(n -> n instanceof ShuffleExchangeExec),
                "the partial aggregate reads the scan directly, without another shuffle: " + shape);
        return exchange;
    }

    /** Pre-order nodes, looking through adaptive execution and its query stages. */
    private static void collect(SparkPlan plan, List<SparkPlan> out) {
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            collect(adaptive.executedPlan(), out);
        } else if (plan instanceof QueryStageExec stage) {
            collect(stage.plan(), out);
        } else {
            out.add(plan);
            for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
                collect(child, out);
            }
        }
    }

    private static BaseAggregateExec findAggregate(List<SparkPlan> nodes, AggregateMode mode) {
        for (SparkPlan node : nodes) {
            if (node instanceof BaseAggregateExec aggregate) {
                for (AggregateExpression e : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
                    if (e.mode().equals(mode) && e.aggregateFunction() instanceof WeightedAvg) {
                        return aggregate;
                    }
                }
            }
        }
        return null;
    }

    // ---- documentation -------------------------------------------------------------------------------

    @Test
    void describeFunctionShowsUsageArgumentsAndExamples() {
        String avg = describe("weighted_avg");
        assertTrue(avg.contains("Function: weighted_avg\n"), avg);
        assertTrue(avg.contains("Usage: weighted_avg(value, weight) - Returns"), avg);
        assertTrue(avg.contains("Arguments:"), avg);
        assertTrue(avg.contains("Examples:"), avg);
        assertTrue(avg.contains("> SELECT weighted_avg(v, w) FROM VALUES"), avg);
        assertTrue(avg.contains("DISTINCT applies to (value, weight) pairs"), avg);

        String stats = describe("weighted_avg_stats");
        assertTrue(stats.contains("Usage: weighted_avg_stats(value, weight) - Returns a struct"), stats);
        assertTrue(stats.contains("> SELECT weighted_avg_stats(v, w) FROM VALUES"), stats);
    }

    /** Every "> query;" example followed by its result lines gives that result, as Spark's shell prints it. */
    @Test
    void documentedExamplesAreTrue() {
        Pattern example = Pattern.compile("^ *> (.*);\\n((?: {7}.*\\n?)+)", Pattern.MULTILINE);
        int checked = 0;
        for (String function : List.of("weighted_avg", "weighted_avg_stats")) {
            Matcher m = example.matcher(describe(function));
            while (m.find()) {
                List<String> expected = m.group(2).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
                Dataset<Row> query = spark.sql(m.group(1));
                List<String> actual = CollectionConverters.asJava(
                        HiveResult$.MODULE$.hiveResultString(query.queryExecution().executedPlan()));
                assertEquals(expected, actual, m.group(1));
                checked++;
            }
        }
        assertEquals(3, checked, "examples found");
    }

    private static String describe(String function) {
        return spark.sql("DESCRIBE FUNCTION EXTENDED " + function).collectAsList().stream()
                .map(r -> r.getString(0)).collect(Collectors.joining("\n"));
    }
}
