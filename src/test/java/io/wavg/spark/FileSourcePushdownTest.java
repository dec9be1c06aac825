package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.merge.HashMergeRule;
import io.wavg.spark.source.PushDownWeightedAvg;
import io.wavg.spark.source.PushedAggregateScan;
import scala.jdk.javaapi.CollectionConverters;

/**
 * weighted_avg pushed into the scans of the users' own Parquet tables, read the way Spark reads them:
 * a Spark-written, day-partitioned trades table (string symbol, double price, bigint qty, Spark's
 * default INT96 timestamps, a nested and a binary column beside) through every kind of relation, V1
 * and V2; each pushed answer has the bits of Spark's own path (pushdown off), and a shape that is not
 * taken says why.
 */
class FileSourcePushdownTest {
    @TempDir
    static Path dir;
    private static String trades;

    @BeforeAll
    static void writeTrades() {
        trades = dir.resolve("trades").toString();
        SparkSession spark = SparkTestSession.get();
        // skewed symbols (a few take most trades), three days, some NULL prices and quantities
        spark.range(0, 60_000).selectExpr(
                "CASE WHEN id % 3 = 0 THEN 'AAPL' WHEN id % 7 = 0 THEN 'MSFT' "
                    + "ELSE concat('S', CAST(pmod(hash(id), 300) AS STRING)) END AS symbol",
                "CASE WHEN id % 101 = 0 THEN NULL ELSE 100 + pmod(hash(id, 1), 10000) / 97.0D END AS price",
                "CASE WHEN id % 103 = 0 THEN NULL ELSE CAST(1 + pmod(hash(id, 2), 5000) AS BIGINT) END AS qty",
                "timestamp_seconds(1767225600 + id) AS ts",
                "named_struct('venue', CAST(id % 4 AS STRING), 'lot', id % 9) AS detail",
                "CAST(CAST(id AS STRING) AS BINARY) AS raw",
                "date_add(DATE'2026-01-05', CAST(id % 3 AS INT)) AS day")
                .repartition(4).write().partitionBy("day").parquet(trades);
        spark.read().parquet(trades).createOrReplaceTempView("trades");
    }

    @AfterAll
    static void dropTables() {
        SparkTestSession.get().sql("DROP TABLE IF EXISTS trades_table");
        SparkTestSession.get().sql("DROP TABLE IF EXISTS trades_located");
    }

    private static final String[] SHAPES = {
        "SELECT weighted_avg(price, qty) FROM $t",
        "SELECT weighted_avg(price, qty), weighted_avg_stats(price, qty), weighted_avg(qty, price) FROM $t",
        "SELECT weighted_avg(price, qty) FROM $t WHERE symbol = 'AAPL' AND price > 120",
        "SELECT weighted_avg(price, qty) FROM $t WHERE day = DATE'2026-01-06'",
        "SELECT symbol, weighted_avg(price, qty) FROM $t WHERE day = DATE'2026-01-06' GROUP BY symbol ORDER BY symbol",
        "SELECT symbol, day, weighted_avg(price, qty), weighted_avg_stats(price, qty) FROM $t GROUP BY symbol, day "
            + "ORDER BY symbol, day",
        "SELECT day, weighted_avg(price, qty) FROM $t WHERE day > DATE'2026-01-05' OR price < 101 GROUP BY day ORDER BY day",
    };

    @Test
    void sparkReadParquetIsPushedWithTheBitsOfSparksOwnPath() {
        for (String shape : SHAPES) {
            assertPushedWithSameBits(shape.replace("$t", "trades"));
        }
    }

    @Test
    void everyKindOfParquetRelationIsPushed() {
        SparkSession spark = SparkTestSession.get();
        String global = "SELECT weighted_avg(price, qty), weighted_avg_stats(price, qty) FROM ";
        assertPushedWithSameBits(global + "parquet.`" + trades + "`");
        assertPushedWithSameBits(() -> spark.read().format("parquet").load(trades).groupBy("day")
                .agg(WeightedAvgFunctions.weightedAvg(org.apache.spark.sql.functions.col("price"),
                        org.apache.spark.sql.functions.col("qty"))).orderBy("day"));
        // a glob over the day directories, with basePath keeping day a partition column
        assertPushedWithSameBits(() -> spark.read().option("basePath", trades).parquet(trades + "/day=2026-01-0[56]")
                .groupBy("day").agg(org.apache.spark.sql.functions.expr("weighted_avg(price, qty)")).orderBy("day"));
        assertPushedWithSameBits(() -> spark.read().parquet(trades + "/day=*")
                .agg(org.apache.spark.sql.functions.expr("weighted_avg(price, qty)")));
        spark.read().parquet(trades).write().mode(SaveMode.Overwrite).partitionBy("day").saveAsTable("trades_table");
        spark.sql("CREATE TABLE trades_located USING parquet LOCATION '" + trades + "'");
        spark.sql("ALTER TABLE trades_located RECOVER PARTITIONS"); // the catalog's partitions list the files
        for (String shape : SHAPES) {
            assertPushedWithSameBits(shape.replace("$t", "trades_table"));
            assertPushedWithSameBits(shape.replace("$t", "trades_located"));
        }
        try (var v2 = SparkTestSession.withConf("spark.sql.sources.useV1SourceList", "")) {
            spark.read().parquet(trades).createOrReplaceTempView("trades_v2");
            for (String shape : SHAPES) {
                assertPushedWithSameBits(shape.replace("$t", "trades_v2"));
            }
        }
    }

    @Test
    void explainShowsTheAggregateOnTheScan() {
        String plan = SparkTestSession.get().sql("SELECT symbol, weighted_avg(price, qty) FROM trades "
                + "WHERE price > 100 AND day = DATE'2026-01-05' GROUP BY symbol").queryExecution()
                .explainString(org.apache.spark.sql.execution.SimpleMode$.MODULE$);
        // the day filter is not on the scan: Spark's partition pruning has answered it
        assertTrue(plan.contains("PushedAggregation: [weighted_avg(price, qty)], GroupBy: [symbol], "
                + "Filter: ((trades.price IS NOT NULL) AND (trades.price > 100.0D))"), plan);
        assertTrue(plan.contains("BatchScan parquet " + "file:" + trades), plan);
    }

    @Test
    void everyNumericTypeIsAValueAndAWeight() {
        String path = dir.resolve("numeric").toString();
        SparkTestSession.get().range(0, 5000).selectExpr("CAST(id % 13 AS INT) AS k",
                "CAST(id % 100 - 50 AS TINYINT) AS b", "CAST(id * 7 % 3000 AS SMALLINT) AS s",
                "CAST(id * 31 % 100000 AS INT) AS i", "id * 1000003 AS l", "CAST(id / 7.0 AS FLOAT) AS f",
                "id / 3.0D AS d", "CAST(id / 100.0 AS DECIMAL(9, 2)) AS d9", "CAST(id / 1e4 AS DECIMAL(18, 4)) AS d18",
                "CAST(id * 1e10 / 7 AS DECIMAL(30, 6)) AS d30")
                .repartition(3).write().parquet(path);
        String[] types = {"b", "s", "i", "l", "f", "d", "d9", "d18", "d30"};
        for (String value : types) {
            StringBuilder sql = new StringBuilder("SELECT k");
            for (String weight : types) {
                sql.append(", weighted_avg(").append(value).append(", ").append(weight).append(")");
            }
            assertPushedWithSameBits(sql + " FROM parquet.`" + path + "` GROUP BY k ORDER BY k");
        }
    }

    @Test
    void driftSparkAcceptsIsRightAndDriftItRefusesFailsNamingTheFile() {
        SparkSession spark = SparkTestSession.get();
        String drift = dir.resolve("drift").toString();
        spark.range(0, 3000).selectExpr("CAST(id AS INT) AS qty", "id / 7.0D AS price", "id % 5 AS k")
                .write().parquet(drift + "/a");
        spark.range(3000, 6000).selectExpr("id * 1000003 AS qty", "id / 7.0D AS price", "id % 5 AS k")
                .write().parquet(drift + "/b");
        Supplier<Dataset<Row>> withSchema = () -> spark.read().schema("qty BIGINT, price DOUBLE, k BIGINT")
                .parquet(drift + "/a", drift + "/b").groupBy("k")
                .agg(org.apache.spark.sql.functions.expr("weighted_avg(price, qty)")).orderBy("k");
        assertPushedWithSameBits(withSchema);
        // int in the table, bigint in a file: Spark refuses, naming the file, and so does the pushed path
        Supplier<Dataset<Row>> narrowing = () -> spark.read().schema("qty INT, price DOUBLE, k BIGINT")
                .parquet(drift + "/a", drift + "/b").agg(org.apache.spark.sql.functions.expr("weighted_avg(price, qty)"));
        Exception failure = assertThrows(Exception.class, () -> narrowing.get().collectAsList());
        assertTrue(messages(failure).contains(drift + "/b"), messages(failure));
    }

    @Test
    void aCorruptFileIsSkippedWithIgnoreCorruptFilesAndNamedWithout() throws IOException {
        SparkSession spark = SparkTestSession.get();
        String path = dir.resolve("corrupt").toString();
        spark.range(0, 4000).selectExpr("id / 3.0D AS v", "CAST(id % 9 AS DOUBLE) AS w").repartition(2)
                .write().parquet(path);
        Path bad = Path.of(path, "part-99999-corrupt.parquet");
        Files.write(bad, "PAR1 this is not a footer PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (var ignore = SparkTestSession.withConf("spark.sql.files.ignoreCorruptFiles", "true")) {
            assertPushedWithSameBits("SELECT weighted_avg(v, w) FROM parquet.`" + path + "`");
        }
        Exception failure = assertThrows(Exception.class,
                () -> spark.sql("SELECT weighted_avg(v, w) FROM parquet.`" + path + "`").collectAsList());
        assertTrue(messages(failure).contains("part-99999-corrupt.parquet"), messages(failure));
    }

    @Test
    void aShapeThatIsNotTakenFallsBackWithTheSameBitsAndSaysWhy() {
        List<String> logged = new ArrayList<>();
        Logger logger = (Logger) LogManager.getLogger(PushDownWeightedAvg.class);
        AbstractAppender appender = new AbstractAppender("wavg-test", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                logged.add(event.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        Level level = logger.getLevel();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        try {
            String sql = "SELECT symbol, weighted_avg(price * 2, qty) FROM trades GROUP BY symbol ORDER BY symbol";
            assertEquals(reference(() -> SparkTestSession.get().sql(sql)).toString(),
                    SparkTestSession.get().sql(sql).collectAsList().toString());
            assertNull(pushedScan(SparkTestSession.get().sql(sql)));
            assertTrue(logged.stream().anyMatch(m -> m.contains("weighted_avg is not computed inside the Parquet scan of file:"
                    + trades) && m.contains("not a numeric column: (trades.price * 2.0D)")), logged::toString);
            logged.clear();
            Supplier<Dataset<Row>> metadata = () -> SparkTestSession.get().read().parquet(trades)
                    .where("_metadata.file_name LIKE '%c000%'").agg(org.apache.spark.sql.functions.expr(
                            "weighted_avg(price, qty)"));
            assertEquals(reference(metadata).toString(), metadata.get().collectAsList().toString());
            assertTrue(logged.stream().anyMatch(m -> m.contains("_metadata is not a column of the files")),
                    logged::toString);
            logged.clear();
            SparkTestSession.get().sql("SELECT weighted_avg(price, qty), max(ts) FROM trades").collectAsList();
            assertTrue(logged.stream().anyMatch(m -> m.contains("max(trades.ts) is computed beside it")), logged::toString);
        } finally {
            logger.removeAppender(appender);
            logger.setLevel(level);
            appender.stop();
        }
    }

    private static void assertPushedWithSameBits(String sql) {
        assertPushedWithSameBits(() -> SparkTestSession.get().sql(sql));
    }

    /**
     * The query takes the pushed scan, and gives what Spark's own path gives, to the bit; so it does
     * when the hash merge of its GROUP BY states hands them to the sorter after two groups.
     */
    private static void assertPushedWithSameBits(Supplier<Dataset<Row>> query) {
        List<Row> expected = reference(query);
        assertPushedWithSameBits(query, expected);
        try (var sorting = SparkTestSession.withConf(HashMergeRule.MAX_GROUPS_KEY, "2")) {
            assertPushedWithSameBits(query, expected);
        }
    }

    private static void assertPushedWithSameBits(Supplier<Dataset<Row>> query, List<Row> expected) {
        Dataset<Row> pushed = query.get();
        List<Row> actual = pushed.collectAsList();
        String plan = pushed.queryExecution().executedPlan().toString();
        assertNotNull(pushedScan(pushed), () -> "not pushed: " + plan);
        assertEquals(expected.toString(), actual.toString(), plan);
        for (int i = 0; i < expected.size(); i++) {
            for (int c = 0; c < expected.get(i).size(); c++) {
                if (expected.get(i).get(c) instanceof Double d) {
                    assertTrue(TestData.sameBits(d, actual.get(i).get(c)), plan + " row " + i + " column " + c);
                }
            }
        }
    }

    private static List<Row> reference(Supplier<Dataset<Row>> query) {
        try (var off = SparkTestSession.withConf(PushDownWeightedAvg.ENABLED_KEY, "false",
                HashMergeRule.ENABLED_KEY, "false")) {
            Dataset<Row> generic = query.get();
            List<Row> rows = generic.collectAsList();
            assertNull(pushedScan(generic));
            return rows;
        }
    }

    private static PushedAggregateScan pushedScan(Dataset<Row> query) {
        SparkPlan plan = query.queryExecution().executedPlan();
        List<PushedAggregateScan> found = new ArrayList<>();
        collect(plan instanceof AdaptiveSparkPlanExec adaptive ? adaptive.initialPlan() : plan, found);
        return found.isEmpty() ? null : found.get(0);
    }

    private static void collect(SparkPlan plan, List<PushedAggregateScan> found) {
        if (plan instanceof BatchScanExec scan && scan.scan() instanceof PushedAggregateScan pushed) {
            found.add(pushed);
        }
        if (plan instanceof QueryStageExec stage) {
            collect(stage.plan(), found);
        }
        for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
            collect(child, found);
        }
    }

    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }
}
