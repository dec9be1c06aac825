package io.wavg.bench;

import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import io.wavg.spark.WeightedAvgExtensions;

/**
 * One engine's query over one dataset in a JVM of its own, so that MemoryBenchmark can measure its
 * peak memory alone. Prints "result=… query_seconds=…" (for GROUP BY, the number of groups and a
 * checksum), the query's time without the JVM's and Spark's start.
 *
 * <p>Arguments: ENGINE DATA_DIR [grouped]; engines as in {@link EndToEndBenchmark} (wavg_pushdown over
 * spark.read.parquet, wavg_source_pushdown over wavg_parquet), and wavg_unpushed: weighted_avg through
 * Spark's aggregate over a wavg_parquet scan with the pushdown off.
 */
public final class SingleQuery {
    private SingleQuery() {}

    public static void main(String[] args) throws Exception {
        String engine = args[0];
        Path data = Path.of(args[1]);
        boolean grouped = args.length > 2 && args[2].equals("grouped");
        if (engine.equals("duckdb")) {
            long start = System.nanoTime();
            double result = EndToEndBenchmark.duckDb(data, grouped);
            System.out.printf("result=%s query_seconds=%.2f%n", result, (System.nanoTime() - start) / 1e9);
            return;
        }
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("weighted_avg memory: " + engine)
                .config("spark.sql.extensions", WeightedAvgExtensions.class.getName())
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            if (engine.equals("wavg_source_pushdown") || engine.equals("wavg_unpushed")) {
                spark.read().format("wavg_parquet").load(data.toString()).createOrReplaceTempView("t");
            } else {
                spark.read().parquet(data.toString()).createOrReplaceTempView("t");
            }
            String expression = switch (engine) {
                case "spark_builtin" -> "sum(value * weight) / sum(weight)";
                case "wavg_columnar", "wavg_rows", "wavg_pushdown", "wavg_source_pushdown", "wavg_unpushed" ->
                    "weighted_avg(value, weight)";
                default -> throw new IllegalArgumentException("unknown engine " + engine);
            };
            spark.conf().set("spark.wavg.columnar.enabled", Boolean.toString(!engine.equals("wavg_rows")));
            spark.conf().set("spark.wavg.pushdown.enabled",
                    Boolean.toString(engine.equals("wavg_pushdown") || engine.equals("wavg_source_pushdown")));
            long start = System.nanoTime();
            String answer;
            if (grouped) {
                List<Row> rows = spark.sql("SELECT count(*), sum(a) FROM (SELECT key, " + expression
                        + " AS a FROM t GROUP BY key)").collectAsList();
                answer = "groups=" + rows.get(0).get(0) + " result=" + rows.get(0).get(1);
            } else {
                answer = "result=" + spark.sql("SELECT " + expression + " FROM t").first().get(0);
            }
            // the query alone, cold: what a one-off job on a fresh executor pays
            System.out.printf("%s query_seconds=%.2f%n", answer, (System.nanoTime() - start) / 1e9);
        } finally {
            spark.stop();
        }
    }
}
