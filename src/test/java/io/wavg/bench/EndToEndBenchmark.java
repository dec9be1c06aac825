package io.wavg.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Aggregator;
import org.apache.spark.sql.functions;

import io.wavg.kernel.KernelChoice;
import io.wavg.spark.WeightedAvgExtensions;
import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.source.PushDownWeightedAvg;
import scala.Tuple2;

/**
 * Side-by-side end-to-end timings on one Parquet dataset, in one JVM, warm cache, local[2]:
 * Spark's built-in sum(value * weight) / sum(weight), our weighted_avg on the columnar path and on the
 * row path, the same columnar path with a naive double-sum C kernel brought through
 * spark.wavg.kernel.library, a naive typed Aggregator through functions.udaf, and DuckDB's weighted_avg when its JDBC
 * driver is on the classpath (profile bench). Prints a table of median time, rows/s, the ratio of
 * each to Spark's built-in, the result and its distance in ulps from the exact result, and appends
 * the same rows to end_to_end.csv in the report folder, for {@link Report}.
 *
 * <p>Arguments: {@code --rows N[,N...]} (default 10M; one table per size, e.g. 10000000,100000000 for
 * a scaling chart), {@code --data DIR} (default target/bench-data), {@code --runs R} (timed runs
 * after one warm-up, default 5), {@code --only a,b} (engine names), {@code --report DIR} (default
 * target/bench-report), {@code --verify} (the exact result from BigDecimal sums instead of our
 * weighted_avg: independent, but about a microsecond per row), {@code --keys K} (also GROUP BY over a
 * dataset with K distinct keys: built-in, pushdown, generic path and DuckDB), {@code --trades N} (also
 * the query shapes of {@link TradeShapes}, VWAPs among them, over a Spark-written, day-partitioned trades
 * table of N rows read with spark.read.parquet, into shapes.csv), {@code --shapes a,b} (only the shapes
 * whose name contains one of these).
 */
public final class EndToEndBenchmark {
    private static final List<String> CSV_COLUMNS = List.of("rows", "engine", "runs", "median_seconds",
            "rows_per_second", "speed_vs_spark_builtin", "result", "exact", "exact_from", "ulps_from_exact");
    private static final List<String> SHAPES_CSV_COLUMNS = List.of("rows", "shape", "engine", "runs", "median_seconds",
            "speed_vs_spark_builtin", "checksum");

    private EndToEndBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<Long> sizes = List.of(10_000_000L);
        String dataRoot = "target/bench-data";
        int runs = 5;
        List<String> only = null;
        Path reportDir = Csv.DEFAULT_DIR;
        boolean verify = false;
        long keys = 0;
        long trades = 0;
        List<String> shapes = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> sizes = Datasets.rowCounts(args[++i]);
                case "--data" -> dataRoot = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--only" -> only = Arrays.asList(args[++i].split(","));
                case "--report" -> reportDir = Path.of(args[++i]);
                case "--verify" -> verify = true;
                case "--keys" -> keys = Long.parseLong(args[++i].replace("_", ""));
                case "--trades" -> trades = Long.parseLong(args[++i].replace("_", ""));
                case "--shapes" -> shapes = Arrays.asList(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        RunInfo run = RunInfo.of(EndToEndBenchmark.class, args);
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("weighted_avg benchmark")
                .config("spark.sql.extensions", WeightedAvgExtensions.class.getName())
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            spark.udf().register("naive_wavg", functions.udaf(new NaiveWeightedAvg(),
                    Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE())));
            Path naiveKernel = NaiveKernelLibrary.build(Path.of(dataRoot));
            List<String> header = new ArrayList<>(RunInfo.header());
            header.addAll(CSV_COLUMNS);
            Path csv = reportDir.resolve(Csv.END_TO_END);
            for (long rows : sizes) {
                Path data = Datasets.weightValue(() -> spark, Path.of(dataRoot), rows);
                Csv.append(csv, header, measure(spark, run, data, rows, runs, only, naiveKernel, verify));
                if (keys > 0) {
                    Path keyed = Datasets.keyedWeightValue(() -> spark, Path.of(dataRoot), rows, keys);
                    Csv.append(csv, header, measureGrouped(spark, run, keyed, rows, keys, runs, only));
                }
            }
            if (trades > 0) {
                List<String> shapesHeader = new ArrayList<>(RunInfo.header());
                shapesHeader.addAll(SHAPES_CSV_COLUMNS);
                Csv.append(reportDir.resolve(Csv.SHAPES), shapesHeader, measureTrades(spark, run,
                        Datasets.trades(() -> spark, Path.of(dataRoot), trades), trades, runs, only, shapes));
            }
            System.out.println("appended to " + csv + "; chart: -Dbench.main=io.wavg.bench.Report");
        } finally {
            spark.stop();
        }
    }

    /** Times every engine on one dataset and prints its table; returns its CSV rows. */
    private static List<List<String>> measure(SparkSession spark, RunInfo run, Path data, long rows, int runs,
                                              List<String> only, Path naiveKernel, boolean verify) throws Exception {
        spark.read().parquet(data.toString()).createOrReplaceTempView("t");
        spark.read().format("wavg_parquet").load(data.toString()).createOrReplaceTempView("pushed");
        Map<String, Callable<Double>> engines = new LinkedHashMap<>();
        engines.put("spark_builtin", () -> sparkQuery(spark, "SELECT sum(value * weight) / sum(weight) FROM t", Route.GENERIC));
        engines.put("wavg_pushdown", () -> sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM parquet.`"
                + data.toAbsolutePath() + "`", Route.PUSHED));
        engines.put("wavg_source_pushdown", () -> sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM pushed",
                Route.PUSHED));
        engines.put("wavg_columnar", () -> sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM t", Route.GENERIC));
        engines.put("wavg_rows", () -> sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM t", Route.ROWS));
        engines.put("wavg_columnar_naive_kernel", () -> {
            spark.conf().set(KernelChoice.LIBRARY_KEY, naiveKernel.toString());
            try {
                return sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM t", Route.GENERIC);
            } finally {
                spark.conf().unset(KernelChoice.LIBRARY_KEY);
            }
        });
        engines.put("udaf_aggregator", () -> sparkQuery(spark, "SELECT naive_wavg(weight, value) FROM t", Route.GENERIC));
        if (duckDbAvailable()) {
            engines.put("duckdb", () -> duckDb(data, false));
        }
        if (only != null) {
            engines.keySet().retainAll(only);
        }
        double exact = verify ? BigDecimalReference.weightedAvg(spark, data)
                : sparkQuery(spark, "SELECT weighted_avg(value, weight) FROM t", Route.PUSHED);
        String exactFrom = verify ? "BigDecimal" : "weighted_avg";

        List<String[]> table = new ArrayList<>();
        List<List<String>> csvRows = new ArrayList<>();
        for (Timed t : timeEach(engines, runs)) {
            long ulps = Ulps.between(t.result(), exact);
            table.add(new String[] {t.engine(), fmt("%.3f", t.seconds()), fmt("%.1fM", rows / t.seconds() / 1e6),
                    fmt("%.2fx", t.speed()), Double.toString(t.result()), Long.toString(ulps)});
            List<String> csvRow = new ArrayList<>(run.fields());
            csvRow.addAll(List.of(Long.toString(rows), t.engine(), Integer.toString(runs), fmt("%.4f", t.seconds()),
                    fmt("%.0f", rows / t.seconds()), fmt("%.4f", t.speed()), Double.toString(t.result()),
                    Double.toString(exact), exactFrom, Long.toString(ulps)));
            csvRows.add(csvRow);
        }
        System.out.printf("%n%,d rows, %s, local[2], median of %d rounds (each times every engine once) after a warm-up%n", rows, data,
                runs);
        System.out.println("speed = Spark built-in time / engine time (higher is faster); "
                + "ulps = distance from the exact result (" + exactFrom + ": " + exact + ")");
        printTable(new String[] {"engine", "seconds", "rows/s", "speed", "result", "ulps"}, table);
        return csvRows;
    }

    /**
     * GROUP BY key over the keyed dataset, each engine's answer reduced to the sum of its per-key
     * averages (a checksum: that sum's own rounding depends on the order Spark adds the groups in, so
     * there are no ulps to report).
     */
    private static List<List<String>> measureGrouped(SparkSession spark, RunInfo run, Path data, long rows, long keys,
                                                     int runs, List<String> only) throws Exception {
        spark.read().parquet(data.toString()).createOrReplaceTempView("k");
        spark.read().format("wavg_parquet").load(data.toString()).createOrReplaceTempView("pushed_k");
        String grouped = "SELECT sum(a) FROM (SELECT key, %s AS a FROM %s GROUP BY key)";
        Map<String, Callable<Double>> engines = new LinkedHashMap<>();
        engines.put("spark_builtin", () -> sparkQuery(spark,
                String.format(grouped, "sum(value * weight) / sum(weight)", "k"), Route.GENERIC));
        engines.put("wavg_pushdown", () -> sparkQuery(spark, String.format(grouped, "weighted_avg(value, weight)",
                "k"), Route.PUSHED));
        engines.put("wavg_source_pushdown", () -> sparkQuery(spark, String.format(grouped,
                "weighted_avg(value, weight)", "pushed_k"), Route.PUSHED));
        engines.put("wavg_generic", () -> sparkQuery(spark, String.format(grouped, "weighted_avg(value, weight)",
                "k"), Route.GENERIC));
        if (duckDbAvailable()) {
            engines.put("duckdb", () -> duckDb(data, true));
        }
        if (only != null) {
            engines.keySet().retainAll(only);
        }
        List<String[]> table = new ArrayList<>();
        List<List<String>> csvRows = new ArrayList<>();
        for (Timed t : timeEach(engines, runs)) {
            table.add(new String[] {t.engine(), fmt("%.3f", t.seconds()), fmt("%.1fM", rows / t.seconds() / 1e6),
                    fmt("%.2fx", t.speed()), Double.toString(t.result())});
            List<String> csvRow = new ArrayList<>(run.fields());
            csvRow.addAll(List.of(Long.toString(rows), t.engine() + Report.GROUP_BY + keys, Integer.toString(runs),
                    fmt("%.4f", t.seconds()), fmt("%.0f", rows / t.seconds()), fmt("%.4f", t.speed()),
                    Double.toString(t.result()), "", "", ""));
            csvRows.add(csvRow);
        }
        System.out.printf("%n%,d rows, GROUP BY %,d keys, %s, local[2], median of %d rounds after a warm-up%n", rows,
                keys, data, runs);
        System.out.println("speed = Spark built-in time / engine time; result = sum of the per-key averages");
        printTable(new String[] {"engine", "seconds", "rows/s", "speed", "result"}, table);
        return csvRows;
    }

    /**
     * The shapes of {@link TradeShapes} over the trades table read with spark.read.parquet, each engine
     * against Spark's built-in expression, as one table; {@code filter} (null for all) keeps the shapes
     * whose name contains one of its words.
     */
    private static List<List<String>> measureTrades(SparkSession spark, RunInfo run, Path data, long rows, int runs,
                                                    List<String> only, List<String> filter) throws Exception {
        spark.read().parquet(data.toString()).createOrReplaceTempView("trades");
        String duckTable = "read_parquet('" + data.toAbsolutePath() + "/*/*.parquet', hive_partitioning = true)";
        List<String> engineNames = new ArrayList<>();
        List<String[]> table = new ArrayList<>();
        List<List<String>> csvRows = new ArrayList<>();
        for (TradeShapes.Shape shape : TradeShapes.ALL) {
            if (filter != null && filter.stream().noneMatch(shape.name()::contains)) {
                continue;
            }
            String builtin = shape.sql(TradeShapes.Spelling.BUILTIN, "trades");
            String ours = shape.sql(TradeShapes.Spelling.WEIGHTED_AVG, "trades");
            Map<String, Callable<Double>> engines = new LinkedHashMap<>();
            engines.put("spark_builtin", () -> sparkQuery(spark, builtin, Route.GENERIC));
            engines.put("wavg_generic", () -> sparkQuery(spark, ours, Route.GENERIC));
            engines.put("wavg_pushdown", () -> sparkQuery(spark, ours, Route.PUSHED));
            if (duckDbAvailable()) {
                engines.put("duckdb", () -> duckDbQuery(shape.sql(TradeShapes.Spelling.DUCKDB, duckTable)));
            }
            if (only != null) {
                engines.keySet().retainAll(only);
            }
            List<Timed> timed = timeEach(engines, runs);
            engineNames = timed.stream().map(Timed::engine).toList();
            List<String> line = new ArrayList<>(List.of(shape.name()));
            for (Timed t : timed) {
                line.add(fmt("%.3f s", t.seconds()) + (t.engine().equals("spark_builtin") ? "" : fmt(" %.2fx", t.speed())));
                List<String> csvRow = new ArrayList<>(run.fields());
                csvRow.addAll(List.of(Long.toString(rows), shape.name(), t.engine(), Integer.toString(runs),
                        fmt("%.4f", t.seconds()), fmt("%.4f", t.speed()), Double.toString(t.result())));
                csvRows.add(csvRow);
            }
            table.add(line.toArray(String[]::new));
            System.out.printf("%s: %s%n", shape.name(), String.join(", ", line.subList(1, line.size())));
        }
        System.out.printf("%nShapes over a trades table of %,d rows (%s), spark.read.parquet, local[2], median of %d "
                + "rounds after a warm-up; speed = Spark built-in time / engine time%n", rows, data, runs);
        List<String> header = new ArrayList<>(List.of("shape"));
        header.addAll(engineNames);
        printTable(header.toArray(String[]::new), table);
        return csvRows;
    }

    /** One engine's median time over the timed runs, its speed against Spark built-in, and its answer. */
    private record Timed(String engine, double seconds, double speed, double result) {}

    /** Times the engines round by round; spark_builtin, when among them, is the speed anchor. */
    private static List<Timed> timeEach(Map<String, Callable<Double>> engines, int runs) throws Exception {
        Map<String, Measurement> measured = Measurement.interleaved(engines, runs);
        double builtInSeconds = measured.containsKey("spark_builtin")
                ? measured.get("spark_builtin").medianSeconds() : Double.NaN;
        List<Timed> timed = new ArrayList<>();
        measured.forEach((engine, m) -> timed.add(new Timed(engine, m.medianSeconds(),
                builtInSeconds / m.medianSeconds(), m.result())));
        return timed;
    }

    /** Which of our paths a query may take: pushed into the scan, the columnar exec, or rows. */
    enum Route { PUSHED, GENERIC, ROWS }

    static double sparkQuery(SparkSession spark, String sql, Route route) {
        spark.conf().set(ColumnarWeightedAvgRule.ENABLED_KEY, Boolean.toString(route != Route.ROWS));
        spark.conf().set(PushDownWeightedAvg.ENABLED_KEY, Boolean.toString(route == Route.PUSHED));
        Object value = spark.sql(sql).first().get(0);
        return ((Number) value).doubleValue();
    }

    static boolean duckDbAvailable() {
        try {
            Class.forName("org.duckdb.DuckDBDriver");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** DuckDB's weighted_avg over the same files; grouped: the sum of the per-key averages. */
    static double duckDb(Path data, boolean grouped) throws Exception {
        String files = "read_parquet('" + data.toAbsolutePath() + "/*.parquet')";
        return duckDbQuery(grouped
                ? "SELECT sum(a) FROM (SELECT key, weighted_avg(value, weight) AS a FROM " + files + " GROUP BY key)"
                : "SELECT weighted_avg(value, weight) FROM " + files);
    }

    private static double duckDbQuery(String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
             Statement statement = connection.createStatement()) {
            statement.execute("SET threads = 2");
            try (ResultSet rs = statement.executeQuery(sql)) {
                rs.next();
                return rs.getDouble(1);
            }
        }
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static void printTable(String[] header, List<String[]> rows) {
        int[] widths = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            widths[c] = header[c].length();
            for (String[] row : rows) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        StringBuilder line = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (int c = 0; c < header.length; c++) {
            line.append(' ').append(pad(header[c], widths[c])).append(" |");
            rule.append('-').append("-".repeat(widths[c])).append("-|");
        }
        System.out.println(line);
        System.out.println(rule);
        for (String[] row : rows) {
            StringBuilder out = new StringBuilder("|");
            for (int c = 0; c < row.length; c++) {
                out.append(' ').append(pad(row[c], widths[c])).append(" |");
            }
            System.out.println(out);
        }
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }

    /** What users write first: a typed Aggregator, paying an encoder per row. */
    static final class NaiveWeightedAvg extends Aggregator<Tuple2<Double, Double>, Tuple2<Double, Double>, Double> {
        @Override
        public Tuple2<Double, Double> zero() {
            return new Tuple2<>(0.0, 0.0);
        }

        @Override
        public Tuple2<Double, Double> reduce(Tuple2<Double, Double> buffer, Tuple2<Double, Double> pair) {
            if (pair._1() == null || pair._2() == null) {
                return buffer;
            }
            return new Tuple2<>(buffer._1() + pair._1(), buffer._2() + pair._1() * pair._2());
        }

        @Override
        public Tuple2<Double, Double> merge(Tuple2<Double, Double> a, Tuple2<Double, Double> b) {
            return new Tuple2<>(a._1() + b._1(), a._2() + b._2());
        }

        @Override
        public Double finish(Tuple2<Double, Double> buffer) {
            return buffer._2() / buffer._1();
        }

        @Override
        public org.apache.spark.sql.Encoder<Tuple2<Double, Double>> bufferEncoder() {
            return Encoders.tuple(Encoders.DOUBLE(), Encoders.DOUBLE());
        }

        @Override
        public org.apache.spark.sql.Encoder<Double> outputEncoder() {
            return Encoders.DOUBLE();
        }
    }
}
