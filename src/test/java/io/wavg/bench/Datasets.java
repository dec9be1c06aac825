package io.wavg.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Deterministic benchmark datasets, written once and reused: same seed, same rows, same files. Spark
 * is asked for only when a dataset is missing, so a caller that needs none starts none.
 */
final class Datasets {
    private Datasets() {}

    /** "10000000,100_000_000" as row counts: the {@code --rows} argument of the benchmarks. */
    static List<Long> rowCounts(String list) {
        return Arrays.stream(list.split(",")).map(n -> Long.parseLong(n.strip().replace("_", ""))).toList();
    }

    /** rows of (weight, value) doubles as snappy Parquet; weights in [0, 100), values around 50. */
    static Path weightValue(Supplier<SparkSession> spark, Path root, long rows) {
        return ifMissing(root.resolve("w-" + rows), String.format("%,d rows", rows), path -> ids(spark, rows)
                .selectExpr("rand(7) * 100 AS weight", "randn(11) * 1000 + 50 AS value")
                .write().mode("overwrite").option("compression", "snappy").parquet(path.toString()));
    }

    /** rows of (key, weight, value) with {@code keys} distinct keys spread over every file. */
    static Path keyedWeightValue(Supplier<SparkSession> spark, Path root, long rows, long keys) {
        return ifMissing(root.resolve("k" + keys + "-" + rows), String.format("%,d rows with %,d keys", rows, keys),
                path -> ids(spark, rows).selectExpr("CAST(id % " + keys + " AS BIGINT) AS key",
                                "rand(7) * 100 AS weight", "randn(11) * 1000 + 50 AS value")
                        .write().mode("overwrite").option("compression", "snappy").parquet(path.toString()));
    }

    /**
     * A trades table as a Spark job writes it, with Spark's defaults ({@code partitionBy("day")}, INT96
     * timestamps, snappy): 20 days of rows in time order, a skewed string symbol out of 3000 (the most
     * traded take most rows), a double price about a per-symbol level, a bigint quantity and a
     * timestamp.
     */
    static Path trades(Supplier<SparkSession> spark, Path root, long rows) {
        return ifMissing(root.resolve("trades-" + rows), String.format("%,d trades", rows), path -> ids(spark, rows)
                .selectExpr("id", "CAST(pow(rand(3), 3) * 3000 AS INT) AS s")
                .selectExpr("concat('SYM', lpad(CAST(s AS STRING), 4, '0')) AS symbol",
                        "round(10 + pmod(hash(s), 490) + randn(5) * 0.25, 2) AS price",
                        "CAST(1 + floor(exp(randn(9) * 1.5 + 4)) AS BIGINT) AS qty",
                        "timestamp_seconds(1767600000 + CAST(id * 20 * 86400 / " + rows + " AS BIGINT)) AS ts",
                        "date_add(DATE'2026-01-05', CAST(id * 20 / " + rows + " AS INT)) AS day")
                .write().mode("overwrite").partitionBy("day").parquet(path.toString()));
    }

    /** The dataset at path, written first unless a complete one is there. */
    private static Path ifMissing(Path path, String what, Consumer<Path> write) {
        if (!Files.exists(path.resolve("_SUCCESS"))) {
            System.out.printf("writing %s to %s%n", what, path);
            write.accept(path);
        }
        return path;
    }

    /** ids 0 … rows - 1, about 5M to a task, so each task writes files of about that size. */
    private static Dataset<Row> ids(Supplier<SparkSession> spark, long rows) {
        return spark.get().range(0, rows, 1, Math.max(2, (int) (rows / 5_000_000L))).toDF();
    }
}
