package io.wavg.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.sql.SparkSession;

/** Deterministic benchmark datasets, written once and reused: same seed, same rows, same files. */
final class Datasets {
    private Datasets() {}

    /** rows of (weight, value) doubles as snappy Parquet; weights in [0, 100), values around 50. */
    static Path weightValue(SparkSession spark, Path root, long rows) {
        Path path = root.resolve("w-" + rows);
        if (!Files.exists(path.resolve("_SUCCESS"))) {
            System.out.printf("writing %,d rows to %s%n", rows, path);
            spark.range(0, rows, 1, Math.max(2, (int) (rows / 5_000_000L)))
                    .selectExpr("rand(7) * 100 AS weight", "randn(11) * 1000 + 50 AS value")
                    .write().mode("overwrite").option("compression", "snappy").parquet(path.toString());
        }
        return path;
    }
}
