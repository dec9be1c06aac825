package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.source.PushDownWeightedAvg;
import io.wavg.spark.source.PushedAggregateScan;
import io.wavg.spark.source.RowGroupBundle;
import io.wavg.spark.source.RowGroupPartition;
import scala.jdk.javaapi.CollectionConverters;

/**
 * weighted_avg pushed into wavg_parquet scans, global or grouped, gives the bits of the ordinary path
 * (Spark's own Parquet reader, and wavg_parquet with pushdown off), shows in EXPLAIN, and leaves alone
 * every query shape it does not take.
 */
class PushdownTest {
    @TempDir
    static Path dir;
    private static String path;

    @BeforeAll
    static void writeData() {
        path = dir.resolve("adversarial").toString();
        // several files, so several splits each send a partial state
        TestData.frame(TestData.adversarial(17, 20_000, 50)).repartition(5)
                .selectExpr("k", "v", "w", "CAST(k AS BIGINT) * 3 AS big", "TRY_CAST(v AS DECIMAL(38, 6)) AS dec",
                        "CASE WHEN k % 7 = 0 THEN NULL ELSE CAST(k % 5 AS STRING) END AS label")
                .write().parquet(path);
        SparkSession spark = SparkTestSession.get();
        spark.read().format("wavg_parquet").load(path).createOrReplaceTempView("pushed");
        spark.read().parquet(path).createOrReplaceTempView("spark_parquet");
    }

    private static List<Row> rows(String sql) {
        return SparkTestSession.get().sql(sql).collectAsList();
    }

    /** The same query over wavg_parquet with pushdown, wavg_parquet without, and Spark's reader. */
    private static void assertSameEverywhere(String template) {
        List<Row> pushed = rows(template.replace("$t", "pushed"));
        List<Row> spark = rows(template.replace("$t", "spark_parquet"));
        List<Row> unpushed;
        try (var off = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false")) {
            unpushed = rows(template.replace("$t", "pushed"));
        }
        assertEquals(spark.toString(), pushed.toString(), template);
        assertEquals(spark.toString(), unpushed.toString(), template);
        for (int i = 0; i < spark.size(); i++) {
            for (int c = 0; c < spark.get(i).size(); c++) {
                Object expected = spark.get(i).get(c);
                if (expected instanceof Double d) {
                    assertTrue(TestData.sameBits(d, pushed.get(i).get(c)), template + " column " + c);
                }
            }
        }
    }

    private static PushedAggregateScan pushedScan(String sql) {
        Dataset<Row> query = SparkTestSession.get().sql(sql);
        query.collectAsList();
        return scans(query.queryExecution().executedPlan()).stream()
                .filter(scan -> scan.scan() instanceof PushedAggregateScan)
                .map(scan -> (PushedAggregateScan) scan.scan()).findFirst().orElse(null);
    }

    private static List<BatchScanExec> scans(SparkPlan plan) {
        SparkPlan root = plan instanceof org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec adaptive
                ? adaptive.finalPhysicalPlan() : plan;
        List<BatchScanExec> found = new java.util.ArrayList<>();
        collect(root, found);
        return found;
    }

    private static void collect(SparkPlan plan, List<BatchScanExec> found) {
        if (plan instanceof BatchScanExec scan) {
            found.add(scan);
        }
        if (plan instanceof org.apache.spark.sql.execution.adaptive.QueryStageExec stage) {
            collect(stage.plan(), found);
        }
        for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
            collect(child, found);
        }
    }

    @Test
    void globalAggregatesArePushedWithTheSameBits() {
        assertSameEverywhere("SELECT weighted_avg(v, w), weighted_avg_stats(v, w) FROM $t");
        assertSameEverywhere("SELECT weighted_avg(v, w), weighted_avg(w, v), weighted_avg(v, big) FROM $t");
        assertSameEverywhere("SELECT weighted_avg(dec, w) FROM $t");
        assertSameEverywhere("SELECT weighted_avg(v, w) * 2 + 1 AS scaled FROM $t");
        assertSameEverywhere("SELECT weighted_avg(v, w) FROM $t WHERE k < 20 AND v > 0");
        assertSameEverywhere("SELECT weighted_avg(v, w) FROM $t WHERE k > 1000");
        assertNotNullPushed("SELECT weighted_avg(v, w), weighted_avg_stats(v, w) FROM pushed");
        assertNotNullPushed("SELECT weighted_avg(v, w) FROM pushed WHERE k < 20 AND v > 0");
    }

    @Test
    void aGlobalAggregateMergesTheScansStatesInTheScansJobHoweverItsRowIsTaken() {
        String sql = "SELECT weighted_avg(v, w) * 2 AS twice, weighted_avg_stats(v, w) AS stats FROM $t";
        Dataset<Row> pushed = SparkTestSession.get().sql(sql.replace("$t", "pushed"));
        List<Row> expected = rows(sql.replace("$t", "spark_parquet"));
        assertEquals(expected.toString(), inOneJob(pushed::collectAsList).toString());
        SparkPlan plan = pushed.queryExecution().executedPlan();
        SparkPlan root = plan instanceof org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec adaptive
                ? adaptive.finalPhysicalPlan() : plan;
        assertTrue(root instanceof io.wavg.spark.source.PushedGlobalAggregateExec, plan::toString);
        assertTrue(root.missingInput().isEmpty(), plan::toString);
        assertTrue(pushed.queryExecution().explainString(org.apache.spark.sql.execution.SimpleMode$.MODULE$)
                .contains("PushedGlobalAggregate functions=[weighted_avg_merge(wavg_state_0"), plan::toString);
        // first() is a collect (a limit over a one-row aggregate is dropped), tail() a tail
        assertEquals(expected.get(0).toString(), inOneJob(pushed::first).toString());
        assertEquals(expected.toString(), Arrays.asList((Row[]) inOneJob(() -> pushed.tail(1))).toString());
        List<Row> iterated = new java.util.ArrayList<>();
        inOneJob(pushed::toLocalIterator).forEachRemaining(iterated::add);
        assertEquals(expected.toString(), iterated.toString());
        // under another operator and through rdd(), the states go through a one-partition shuffle
        assertEquals(expected.toString(), pushed.where("twice IS NOT NULL").collectAsList().toString());
        assertEquals(expected.toString(), pushed.javaRDD().collect().toString());
        assertEquals(1, pushed.javaRDD().getNumPartitions());
        // subqueries on either side, HAVING, a broadcast join
        String[] shapes = {
            "SELECT count(*) FROM $t WHERE v > (SELECT weighted_avg(v, w) FROM $t)",
            "SELECT weighted_avg(v, w) - (SELECT max(v) FROM spark_parquet) FROM $t",
            "SELECT weighted_avg(v, w) FROM $t HAVING weighted_avg(v, w) > -1e300",
            "SELECT weighted_avg(v, w) FROM $t HAVING weighted_avg(v, w) > 1e300",
            "SELECT k, a FROM (SELECT DISTINCT k FROM spark_parquet) CROSS JOIN (SELECT weighted_avg(v, w) AS a FROM $t) "
                + "ORDER BY k",
        };
        for (String template : shapes) {
            assertEquals(rows(template.replace("$t", "spark_parquet")), rows(template.replace("$t", "pushed")), template);
        }
        // over no row group at all (every row group skipped): one row all the same
        Dataset<Row> none = SparkTestSession.get().sql("SELECT weighted_avg(v, w) AS a FROM pushed WHERE k > 1000");
        assertEquals("[[null]]", none.collectAsList().toString());
        assertEquals("[[null]]", none.javaRDD().collect().toString());
        assertEquals("[[null]]", none.where("a IS NULL").collectAsList().toString());
    }

    /** Runs an action and checks that it took a single Spark job. */
    private static <T> T inOneJob(java.util.function.Supplier<T> action) {
        org.apache.spark.SparkContext context = SparkTestSession.get().sparkContext();
        String group = "one-job-" + System.nanoTime();
        context.setJobGroup(group, "counting jobs", false);
        try {
            T result = action.get();
            assertEquals(1, context.statusTracker().getJobIdsForGroup(group).length, "jobs run");
            return result;
        } finally {
            context.clearJobGroup();
        }
    }

    private static void assertNotNullPushed(String sql) {
        assertTrue(pushedScan(sql) != null, "pushed: " + sql);
    }

    @Test
    void groupedAggregatesArePushedWithTheSameBits() {
        String[] grouped = {
            "SELECT k, weighted_avg(v, w), weighted_avg_stats(v, w) FROM $t GROUP BY k ORDER BY k",
            "SELECT big, weighted_avg(v, w) FROM $t WHERE v > 0 GROUP BY big ORDER BY big",
            "SELECT label, weighted_avg(v, w) FROM $t GROUP BY label ORDER BY label",
            "SELECT label, k, weighted_avg(v, w), weighted_avg(dec, w) FROM $t GROUP BY label, k ORDER BY label, k",
            // states read in another order than the calls appear, a call used twice, results in expressions
            "SELECT weighted_avg_stats(w, v), k, weighted_avg(v, w) * 2, weighted_avg(w, v) FROM $t GROUP BY k "
                + "HAVING weighted_avg(v, w) > -1e300 ORDER BY k",
        };
        for (String template : grouped) {
            assertSameEverywhere(template);
            assertNotNullPushed(template.replace("$t", "pushed"));
            assertEquals(1, aggregates(template.replace("$t", "pushed")),
                    "the scan's states are merged once, with no partial aggregate: " + template);
        }
    }

    /** How many aggregate operators (Spark's, or the hash merge of weighted_avg states) the executed plan runs. */
    private static long aggregates(String sql) {
        Dataset<Row> query = SparkTestSession.get().sql(sql);
        query.collectAsList();
        SparkPlan plan = query.queryExecution().executedPlan();
        SparkPlan root = plan instanceof org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec adaptive
                ? adaptive.finalPhysicalPlan() : plan;
        List<SparkPlan> nodes = new java.util.ArrayList<>();
        flatten(root, nodes);
        return nodes.stream().filter(n -> n instanceof org.apache.spark.sql.execution.aggregate.BaseAggregateExec
                || n instanceof io.wavg.spark.merge.HashMergeExec).count();
    }

    private static void flatten(SparkPlan plan, List<SparkPlan> nodes) {
        nodes.add(plan);
        if (plan instanceof org.apache.spark.sql.execution.adaptive.QueryStageExec stage) {
            flatten(stage.plan(), nodes);
        }
        for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
            flatten(child, nodes);
        }
    }

    @Test
    void explainShowsThePushedAggregationAndFilter() {
        String plan = SparkTestSession.get().sql("SELECT weighted_avg(v, w) FROM pushed WHERE k < 20")
                .queryExecution().explainString(org.apache.spark.sql.execution.ExtendedMode$.MODULE$);
        assertTrue(plan.contains("PushedAggregation: [weighted_avg(v, w)]"), plan);
        assertTrue(plan.contains("Filter: "), plan);
        assertTrue(plan.contains("weighted_avg_merge(wavg_state_0"), plan);
    }

    @Test
    void otherShapesKeepTheOrdinaryPathAndTheSameBits() {
        String[] notPushed = {
            "SELECT k % 3 AS m, weighted_avg(v, w) FROM $t GROUP BY k % 3 ORDER BY m",
            "SELECT weighted_avg(v, w) FILTER (WHERE k > 3) FROM $t",
            "SELECT weighted_avg(DISTINCT v, w) FROM $t",
            "SELECT weighted_avg(v, w), count(w) FROM $t",
            "SELECT weighted_avg(v + 1, w) FROM $t",
        };
        for (String template : notPushed) {
            assertSameEverywhere(template);
            assertEquals(null, pushedScan(template.replace("$t", "pushed")), "not pushed: " + template);
        }
    }

    @Test
    void metricsReportWhatTheScanDid() {
        Dataset<Row> query = SparkTestSession.get().sql("SELECT weighted_avg(v, w) FROM pushed WHERE k < 20");
        query.collectAsList();
        BatchScanExec scan = scans(query.queryExecution().executedPlan()).get(0);
        java.util.Map<String, Long> values = new java.util.HashMap<>();
        CollectionConverters.asJava(scan.metrics()).forEach((name, metric) -> values.put(name, metric.value()));
        long rows = SparkTestSession.get().sql("SELECT count(*) FROM spark_parquet").first().getLong(0);
        long passing = SparkTestSession.get().sql("SELECT count(*) FROM spark_parquet WHERE k < 20").first().getLong(0);
        assertEquals(rows, values.get("rowsRead"), values.toString());
        assertEquals(passing, values.get("rowsAggregated"), values.toString());
        assertEquals(0L, values.get("rowGroupsSkipped"), values.toString());
        assertTrue(values.get("bytesRead") > 0, values.toString());
        assertTrue(values.get("peakBufferBytes") > 0, values.toString());
        assertTrue(values.containsKey("aggregationTime"), values.toString());
    }

    @Test
    void rowGroupsRuledOutByStatisticsAreSkippedAndCounted() {
        Dataset<Row> query = SparkTestSession.get().sql("SELECT weighted_avg(v, w) FROM pushed WHERE k > 1000");
        List<Row> result = query.collectAsList();
        assertEquals(null, result.get(0).get(0));
        BatchScanExec scan = scans(query.queryExecution().executedPlan()).get(0);
        assertEquals(5L, scan.metrics().apply("rowGroupsSkipped").value());
        assertEquals(0L, scan.metrics().apply("rowsRead").value());
    }

    @Test
    void countStarComesFromTheFootersUnlessFiltered() {
        Dataset<Row> count = SparkTestSession.get().sql("SELECT count(*) FROM pushed");
        assertEquals(rows("SELECT count(*) FROM spark_parquet"), count.collectAsList());
        String plan = count.queryExecution().explainString(org.apache.spark.sql.execution.SimpleMode$.MODULE$);
        assertTrue(plan.contains("PushedAggregation: [COUNT(*)] from footers"), plan);
        Dataset<Row> filtered = SparkTestSession.get().sql("SELECT count(*) FROM pushed WHERE v > 0");
        assertEquals(rows("SELECT count(*) FROM spark_parquet WHERE v > 0"), filtered.collectAsList());
        assertFalse(filtered.queryExecution().explainString(org.apache.spark.sql.execution.SimpleMode$.MODULE$)
                .contains("from footers"));
    }

    @Test
    void pushdownCanBeTurnedOff() {
        try (var off = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false")) {
            assertEquals(null, pushedScan("SELECT weighted_avg(v, w) FROM pushed"));
        }
        assertFalse(pushedScan("SELECT weighted_avg(v, w) FROM pushed") == null);
    }

    @Test
    void rowGroupsArePackedOneBundlePerCoreWithTheirHostsAndTheKernelChoiceTravels() {
        try (var java = SparkTestSession.withConf("spark.wavg.kernel", "java")) {
            PushedAggregateScan scan = pushedScan("SELECT weighted_avg(v, w) FROM pushed");
            assertEquals("java", scan.aggregation().functions().get(0).kernel().toString());
            // the row groups the plain scan reads one per task, packed into one bundle per core
            int rowGroups = SparkTestSession.get().read().format("wavg_parquet").load(path).rdd().getNumPartitions();
            InputPartition[] bundles = scan.planInputPartitions();
            int cores = SparkTestSession.get().sparkContext().defaultParallelism();
            assertEquals(Math.min(rowGroups, cores), bundles.length);
            assertEquals(rowGroups, Arrays.stream(bundles)
                    .flatMap(b -> ((RowGroupBundle) b).rowGroups().stream()).distinct().count());
            for (InputPartition bundle : bundles) {
                // where the file system says the bytes are, for the scheduler: for local files, this host
                assertEquals(List.of("localhost"), Arrays.asList(bundle.preferredLocations()));
                for (RowGroupPartition rowGroup : ((RowGroupBundle) bundle).rowGroups()) {
                    assertEquals(List.of("localhost"), Arrays.asList(rowGroup.preferredLocations()));
                }
            }
            assertSameEverywhere("SELECT weighted_avg(v, w) FROM $t");
        }
    }
}
