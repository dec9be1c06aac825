package io.wavg.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.spark.sql.SparkSession;

/**
 * Each engine's query in a JVM of its own inside a memory cgroup (shared/tools/in-node), like a small
 * cluster node with a typical small executor: exit status (137 = OOM-killed), peak RSS and time.
 * Prints a table and appends the same rows to memory.csv in the report folder, for {@link Report}.
 *
 * <p>Arguments: {@code --rows N[,N...]} (default 10M; several sizes show whether memory stays flat),
 * {@code --keys K} (also run GROUP BY over K keys), {@code --data DIR}, {@code --limit-mb MB} (default
 * 1024), {@code --heap SIZE} (default 512m), {@code --engines a,b} (default spark_builtin,wavg_columnar,
 * wavg_pushdown,wavg_source_pushdown,wavg_rows,duckdb; duckdb only when its driver is on the classpath),
 * {@code --in-node PATH} (default ../shared/tools/in-node), {@code --report DIR} (default
 * target/bench-report).
 */
public final class MemoryBenchmark {
    private static final List<String> CSV_COLUMNS = List.of("rows", "dataset", "query", "engine", "limit_mb", "heap",
            "exit", "oom_killed", "peak_rss_mb", "seconds", "query_seconds", "output");
    /** The console leaves out rows, limit and heap: its title and the dataset name say them. */
    private static final List<String> TABLE_COLUMNS = List.of("dataset", "query", "engine", "exit", "oom_killed",
            "peak_rss_mb", "seconds", "query_seconds", "output");
    private static final Pattern QUERY_SECONDS = Pattern.compile(" query_seconds=(\\S+)");
    private static final Pattern IN_NODE = Pattern.compile(
            "in-node: limit=(\\S+) peak_rss_mb=(\\S+)(?: \\S+)* exit=(\\d+) oom_killed=(\\w+)");

    private MemoryBenchmark() {}

    private record Dataset(Path path, long rows, boolean grouped) {}

    /** A Spark session started on first use, to write a missing dataset; the queries run elsewhere. */
    private static final class DatasetWriter implements Supplier<SparkSession>, AutoCloseable {
        private SparkSession spark;

        @Override
        public SparkSession get() {
            if (spark == null) {
                spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false").getOrCreate();
            }
            return spark;
        }

        @Override
        public void close() {
            if (spark != null) {
                spark.stop();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        List<Long> sizes = List.of(10_000_000L);
        long keys = 0;
        String dataRoot = "target/bench-data";
        int limitMb = 1024;
        String heap = "512m";
        List<String> engines = List.of("spark_builtin", "wavg_columnar", "wavg_pushdown", "wavg_source_pushdown", "wavg_rows",
                "duckdb");
        String inNode = "../shared/tools/in-node";
        Path reportDir = Csv.DEFAULT_DIR;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> sizes = Datasets.rowCounts(args[++i]);
                case "--keys" -> keys = Long.parseLong(args[++i].replace("_", ""));
                case "--data" -> dataRoot = args[++i];
                case "--limit-mb" -> limitMb = Integer.parseInt(args[++i]);
                case "--heap" -> heap = args[++i];
                case "--engines" -> engines = Arrays.asList(args[++i].split(","));
                case "--in-node" -> inNode = args[++i];
                case "--report" -> reportDir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!Files.isExecutable(Path.of(inNode))) {
            throw new IllegalArgumentException("in-node is not at " + inNode + "; pass --in-node PATH");
        }
        if (engines.contains("duckdb") && !EndToEndBenchmark.duckDbAvailable()) {
            System.out.println("duckdb skipped: its JDBC driver is on the classpath only with -Pbench");
            engines = engines.stream().filter(e -> !e.equals("duckdb")).toList();
        }
        RunInfo run = RunInfo.of(MemoryBenchmark.class, args);
        List<Dataset> datasets = new ArrayList<>();
        try (DatasetWriter writer = new DatasetWriter()) {
            for (long rows : sizes) {
                datasets.add(new Dataset(Datasets.weightValue(writer, Path.of(dataRoot), rows), rows, false));
                if (keys > 0) {
                    datasets.add(new Dataset(Datasets.keyedWeightValue(writer, Path.of(dataRoot), rows, keys), rows,
                            true));
                }
            }
        }

        List<String> header = new ArrayList<>(RunInfo.header());
        header.addAll(CSV_COLUMNS);
        Path csv = reportDir.resolve(Csv.MEMORY);
        List<String[]> table = new ArrayList<>();
        for (Dataset data : datasets) {
            List<List<String>> csvRows = new ArrayList<>();
            for (String engine : engines) {
                List<String> measured = measure(inNode, limitMb, heap, engine, data);
                table.add(TABLE_COLUMNS.stream().map(c -> measured.get(CSV_COLUMNS.indexOf(c))).toArray(String[]::new));
                List<String> csvRow = new ArrayList<>(run.fields());
                csvRow.addAll(measured);
                csvRows.add(csvRow);
            }
            // appended per dataset, so a long scaling run keeps what it measured if stopped
            Csv.append(csv, header, csvRows);
        }
        System.out.printf("%nEach query alone in a JVM with -Xmx%s inside a %d MB memory cgroup (in-node), local[2]%n",
                heap, limitMb);
        EndToEndBenchmark.printTable(TABLE_COLUMNS.toArray(String[]::new), table);
        System.out.println("appended to " + csv + "; chart: -Dbench.main=io.wavg.bench.Report");
    }

    /** Runs one query in the cgroup; returns its values in CSV_COLUMNS order. */
    private static List<String> measure(String inNode, int limitMb, String heap, String engine, Dataset data)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(inNode, Integer.toString(limitMb)));
        List<String> queryArgs = new ArrayList<>(List.of(engine, data.path().toString()));
        if (data.grouped()) {
            queryArgs.add("grouped");
        }
        command.addAll(ChildJvm.command(heap, SingleQuery.class, queryArgs));
        // stderr goes to a file: a failing Spark can log more than a pipe holds while stdout is read
        Path errors = Files.createTempFile("wavg-memory-", ".err");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        int exit = process.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        String stdout = new String(out, StandardCharsets.UTF_8).trim();
        String stderr = new String(Files.readAllBytes(errors), StandardCharsets.UTF_8);
        Files.delete(errors);
        Matcher m = IN_NODE.matcher(stderr);
        String peak = "?";
        String oom = "?";
        if (m.find()) {
            peak = m.group(2);
            oom = m.group(4);
        }
        String output = exit == 0 ? stdout.lines().reduce((a, b) -> b).orElse("")
                : lastErrorLine(stderr);
        Matcher query = QUERY_SECONDS.matcher(output);
        String querySeconds = "";
        if (query.find()) {
            querySeconds = query.group(1);
            output = output.substring(0, query.start());
        }
        return List.of(Long.toString(data.rows()), data.path().getFileName().toString(),
                data.grouped() ? "GROUP BY key" : "global", engine, Integer.toString(limitMb), heap,
                Integer.toString(exit), oom, peak, EndToEndBenchmark.fmt("%.1f", seconds), querySeconds, output);
    }

    private static String lastErrorLine(String stderr) {
        return stderr.lines().filter(l -> l.contains("Exception") || l.contains("Error")).reduce((a, b) -> b)
                .map(l -> l.length() > 100 ? l.substring(0, 100) + "…" : l).orElse("");
    }
}
