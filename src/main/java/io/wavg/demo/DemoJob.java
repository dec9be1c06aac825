package io.wavg.demo;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import io.wavg.spark.WeightedAvgExtensions;

/**
 * The main job on an embedded default: Spark local[*], a generated Parquet dataset of weight, value
 * doubles, and weighted_avg over it next to Spark's built-in sum(value * weight) / sum(weight).
 *
 * <p>Arguments (all optional): {@code --rows N} (default 3,000,000), {@code --path DIR} (default
 * target/demo-data), {@code --master URL} (default local[*]).
 */
public final class DemoJob {
    private DemoJob() {}

    public static void main(String[] args) throws Exception {
        long rows = 3_000_000L;
        String path = "target/demo-data";
        String master = "local[*]";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Long.parseLong(args[++i]);
                case "--path" -> path = args[++i];
                case "--master" -> master = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; expected --rows N, --path DIR or --master URL");
            }
        }
        SparkSession spark = SparkSession.builder()
                .appName("weighted_avg demo")
                .master(master)
                .config("spark.sql.extensions", WeightedAvgExtensions.class.getName())
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            Path data = Path.of(path, "w" + rows);
            if (!Files.exists(data.resolve("_SUCCESS"))) {
                System.out.printf("generating %,d rows of (weight, value) into %s%n", rows, data);
                spark.range(rows)
                        .selectExpr("rand(7) * 100 AS weight", "randn(11) * 1000 + 50 AS value")
                        .write().mode("overwrite").parquet(data.toString());
            }
            spark.read().parquet(data.toString()).createOrReplaceTempView("t");

            Row ours = spark.sql("SELECT weighted_avg(value, weight), weighted_avg_stats(value, weight) FROM t")
                    .first();
            Row stats = ours.getStruct(1);
            Row builtIn = spark.sql("SELECT sum(value * weight) / sum(weight) FROM t").first();
            System.out.printf("rows:                          %,d%n", stats.getLong(2));
            System.out.printf("weighted_avg(value, weight):   %s%n", ours.get(0));
            System.out.printf("total weight:                  %s%n", stats.get(1));
            System.out.printf("sum(value*weight)/sum(weight): %s  (Spark built-in, rounded at every step)%n",
                    builtIn.get(0));
        } finally {
            spark.stop();
        }
    }
}
