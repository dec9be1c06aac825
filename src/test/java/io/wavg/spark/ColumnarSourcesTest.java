package io.wavg.spark;

import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.columnar.ColumnarWeightedAvgRule;

/**
 * A global weighted_avg over sources whose batches Spark reads in different vector forms: Parquet
 * with dictionary-encoded and plain columns and NULLs, a DOUBLE partition column (a constant vector
 * per file), ORC, and a cached DataFrame. With the columnar fast path on or off the bits are exact.
 */
class ColumnarSourcesTest {
    @TempDir
    static Path dir;

    private static SparkSession spark;
    private static List<Row> rows;

    @BeforeAll
    static void writeSources() {
        spark = SparkTestSession.get();
        Random random = new Random(17);
        rows = new ArrayList<>();
        double[] fewValues = {0.5, 3.0, -1.25, 1e10};
        for (int i = 0; i < 20_000; i++) {
            // few distinct values and weights keep Parquet's dictionary encoding; the partition
            // column w then has just four values
            Double v = random.nextInt(25) == 0 ? null
                    : i % 2 == 0 ? fewValues[random.nextInt(4)] : TestData.ordinaryValue(random);
            Double w = random.nextInt(25) == 0 ? null : (double) (1 + random.nextInt(4)) * (i % 3 == 0 ? -0.5 : 1);
            rows.add(TestData.row(i % 5, v, w));
        }
        Dataset<Row> data = TestData.frame(rows);
        data.repartition(3).write().parquet(dir.resolve("plain").toString());
        data.repartition(2).write().partitionBy("w").parquet(dir.resolve("by-weight").toString());
        data.repartition(3).write().orc(dir.resolve("orc").toString());
    }

    private static Dataset<Row> source(String name) {
        return switch (name) {
            case "parquet" -> spark.read().parquet(dir.resolve("plain").toString());
            case "parquet partitioned by w" -> spark.read().parquet(dir.resolve("by-weight").toString());
            case "orc" -> spark.read().orc(dir.resolve("orc").toString());
            case "cached" -> spark.read().parquet(dir.resolve("plain").toString()).cache();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"parquet", "parquet partitioned by w", "orc", "cached"})
    void exactWithAndWithoutTheColumnarPath(String name) {
        ExactReference exact = TestData.reference(rows);
        for (String enabled : List.of("true", "false")) {
            try (SparkTestSession.ConfScope ignored =
                         SparkTestSession.withConf(ColumnarWeightedAvgRule.ENABLED_KEY, enabled)) {
                Dataset<Row> data = source(name);
                Row result = data.agg(expr("weighted_avg(v, w)"), expr("weighted_avg_stats(v, w)"),
                        expr("weighted_avg(w, v)")).collectAsList().get(0);
                String where = name + ", columnar " + enabled;
                assertTrue(TestData.sameBits(exact.average(), result.get(0)), () -> where + ": "
                        + TestData.show(result.get(0)) + ", exact " + TestData.show(exact.average()));
                assertTrue(TestData.sameBits(exact.totalWeight(), result.getStruct(1).get(1)), where);
                assertEquals(exact.pairs(), result.getStruct(1).getLong(2), where);
                ExactReference swapped = new ExactReference();
                rows.forEach(r -> swapped.add(TestData.weight(r), TestData.value(r)));
                assertTrue(TestData.sameBits(swapped.average(), result.get(2)), where + ", swapped");
                data.unpersist();
            }
        }
    }
}
