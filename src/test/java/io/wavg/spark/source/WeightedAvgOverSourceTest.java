package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.orderedRows;
import static io.wavg.spark.source.SourceTestSupport.spark;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weighted_avg is exact, so it must give the same bits whichever reader feeds it and however the rows
 * are split: over wavg_parquet (one partition per row group) and over Spark's Parquet reader (its own
 * splits), globally and by group, with NULL values, NULL weights, all-NULL groups, huge weights that
 * cancel; with weighted_avg pushed into the scan where the planner does so, and the columnar fast
 * path off.
 */
class WeightedAvgOverSourceTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void writeData() {
        Random random = new Random(4242);
        List<Row> rows = new ArrayList<>();
        while (rows.size() < 20_000) {
            int k = random.nextInt(12);
            if (k == 11) { // group 11: pairs never complete, so its average is NULL
                rows.add(RowFactory.create(k, random.nextBoolean() ? null : 1.0, null, (long) k));
                continue;
            }
            int kind = random.nextInt(100);
            if (kind < 3) {
                rows.add(RowFactory.create(k, null, random.nextDouble(), (long) kind));
            } else if (kind < 6) {
                rows.add(RowFactory.create(k, random.nextGaussian(), null, null));
            } else if (kind < 25) {
                // equal values with huge opposite weights: they cancel exactly, a rounding sum loses the rest
                double weight = Math.scalb(1 + random.nextDouble(), 40 + random.nextInt(30));
                double value = random.nextGaussian() * Math.scalb(1.0, random.nextInt(60) - 30);
                rows.add(RowFactory.create(k, value, weight, random.nextLong() >> 20));
                rows.add(RowFactory.create(k, value, -weight, random.nextLong() >> 20));
            } else {
                rows.add(RowFactory.create(k, random.nextGaussian() * Math.scalb(1.0, random.nextInt(40) - 20),
                        Math.scalb(random.nextDouble() + 0x1p-20, random.nextInt(21) - 10), random.nextLong() >> 20));
            }
        }
        Collections.shuffle(rows, random); // so that files and row groups split cancelling pairs apart
        StructType schema = new StructType().add("k", DataTypes.IntegerType, false)
                .add("v", DataTypes.DoubleType).add("w", DataTypes.DoubleType).add("l", DataTypes.LongType);
        Path path = dir.resolve("kvw");
        spark().createDataFrame(rows, schema).repartition(3).write()
                .option("parquet.block.size", "32768")
                .parquet(path.toString());
        assertTrue(SourceTestSupport.rowGroups(path) > 6, "several row groups per file");
        spark().sql("CREATE OR REPLACE TEMPORARY VIEW kvw_ours USING wavg_parquet OPTIONS (path '" + path + "')");
        spark().sql("CREATE OR REPLACE TEMPORARY VIEW kvw_theirs USING parquet OPTIONS (path '" + path + "')");
    }

    @AfterAll
    static void dropViews() {
        spark().catalog().dropTempView("kvw_ours");
        spark().catalog().dropTempView("kvw_theirs");
    }

    @Test
    void sameBitsAsOverSparksReader() {
        for (String query : List.of(
                "SELECT weighted_avg(v, w), weighted_avg_stats(v, w), weighted_avg(l, w), count(*) FROM {t}",
                "SELECT k, weighted_avg(v, w), weighted_avg_stats(v, w) FROM {t} GROUP BY k ORDER BY k",
                "SELECT k, weighted_avg(v, w) FROM {t} WHERE v > 0 OR w IS NULL GROUP BY k ORDER BY k",
                "SELECT weighted_avg(v, abs(w)) FROM {t} WHERE l > 0")) {
            assertSameResult(query);
        }
        // group 11 has no complete pair: NULL, not 0 or NaN
        assertEquals(List.of("null"), orderedRows(spark().sql("SELECT weighted_avg(v, w) FROM kvw_ours WHERE k = 11")));
    }

    /** Column names Parquet's schema parser would choke on travel to the tasks intact. */
    @Test
    void columnNamesWithSpacesAndPunctuation() {
        Path path = dir.resolve("odd-names");
        spark().range(0, 5000, 1, 2).selectExpr("CAST(id % 7 AS INT) AS `the key`",
                "IF(id % 11 = 0, NULL, id * 0.25) AS `unit price (EUR)`", "CAST(id % 13 + 1 AS DOUBLE) AS `w; x`")
                .write().parquet(path.toString());
        spark().read().format("wavg_parquet").load(path.toString()).createOrReplaceTempView("odd_ours");
        spark().read().parquet(path.toString()).createOrReplaceTempView("odd_theirs");
        for (String query : List.of(
                "SELECT weighted_avg(`unit price (EUR)`, `w; x`) FROM {t}",
                "SELECT `the key`, weighted_avg(`unit price (EUR)`, `w; x`) FROM {t} GROUP BY `the key` ORDER BY 1",
                "SELECT sum(`unit price (EUR)`), count(`the key`) FROM {t}")) {
            assertEquals(spark().sql(query.replace("{t}", "odd_theirs")).collectAsList().toString(),
                    spark().sql(query.replace("{t}", "odd_ours")).collectAsList().toString(), query);
        }
    }

    /** The columnar fast path off: batches from this source go through Spark's row-based aggregate. */
    @Test
    void sameBitsWithoutTheColumnarFastPath() {
        try (var conf = SourceTestSupport.withConf("spark.wavg.columnar.enabled", "false")) {
            assertSameResult("SELECT k, weighted_avg(v, w), count(v) FROM {t} GROUP BY k ORDER BY k");
        }
    }

    private static void assertSameResult(String query) {
        List<String> theirs = orderedRows(spark().sql(query.replace("{t}", "kvw_theirs")));
        List<String> ours = orderedRows(spark().sql(query.replace("{t}", "kvw_ours")));
        assertEquals(theirs, ours, query);
    }
}
