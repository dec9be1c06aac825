package io.wavg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;

/**
 * Keeps the benchmark harness from rotting, as CI runs it: the end-to-end benchmark on 1M rows with
 * one timed run and the exact result from BigDecimal, the memory benchmark for one engine where
 * in-node is at hand, then the chart. Timings are not asserted (CI machines are noisy); what is
 * asserted is that tables, CSV rows and the chart appear and that every engine's result is as close
 * to the exact one as it should be. Each benchmark runs in a JVM of its own, as from the command
 * line, so its Spark session cannot meet the one the Spark tests share.
 */
class BenchmarkSmokeTest {
    private static final Path REPORT = Path.of("target", "bench-smoke");
    private static final Path DATA = Path.of("target", "bench-data");
    private static final Path IN_NODE = Path.of("..", "shared", "tools", "in-node");
    private static final String ROWS = "1000000";

    /** weighted_avg is exact whatever the kernel path; the others sum doubles in some order. */
    private static final Map<String, Long> MAX_ULPS = Map.of(
            "wavg_columnar", 0L,
            "wavg_pushdown", 0L,
            "wavg_source_pushdown", 0L,
            "wavg_rows", 0L,
            // exact merge of per-batch naive averages: off by a few ulps at most
            "wavg_columnar_naive_kernel", 64L,
            // plain double sums: 1M rows land some hundred ulps away; a wrong query lands much further
            "spark_builtin", 4096L,
            "udaf_aggregator", 4096L,
            "duckdb", 4096L);

    @Test
    void benchmarksWriteTablesCsvAndChart() throws Exception {
        deleteRecursively(REPORT);

        String endToEnd = run("end_to_end", EndToEndBenchmark.class, "--rows", ROWS, "--runs", "1", "--verify",
                "--data", DATA.toString(), "--report", REPORT.toString());
        assertTrue(endToEnd.contains("| engine "), "no end-to-end table in:\n" + endToEnd);
        List<Map<String, String>> rows = Csv.read(REPORT.resolve(Csv.END_TO_END));
        Set<String> expectedEngines = new TreeSet<>(Set.of("spark_builtin", "wavg_columnar", "wavg_pushdown",
                "wavg_source_pushdown", "wavg_rows", "wavg_columnar_naive_kernel", "udaf_aggregator"));
        if (EndToEndBenchmark.duckDbAvailable()) {
            expectedEngines.add("duckdb");
        }
        assertEquals(expectedEngines,
                rows.stream().map(r -> r.get("engine")).collect(Collectors.toCollection(TreeSet::new)));
        String exact = rows.get(0).get("exact");
        for (Map<String, String> row : rows) {
            assertEquals(ROWS, row.get("rows"));
            assertEquals("BigDecimal", row.get("exact_from"), "the smoke run checks against an independent result");
            long ulps = Long.parseLong(row.get("ulps_from_exact"));
            assertTrue(ulps <= MAX_ULPS.get(row.get("engine")), row.get("engine") + " is " + ulps + " ulps from "
                    + exact + ": " + row.get("result"));
        }

        if (Files.isExecutable(IN_NODE)) {
            String memory = run("memory", MemoryBenchmark.class, "--rows", ROWS, "--engines", "wavg_columnar",
                    "--data", DATA.toString(), "--report", REPORT.toString(), "--in-node", IN_NODE.toString());
            assertTrue(memory.contains("| dataset "), "no memory table in:\n" + memory);
            Map<String, String> row = Csv.read(REPORT.resolve(Csv.MEMORY)).get(0);
            assertEquals("0", row.get("exit"), "the query failed in the cgroup: " + row);
            assertEquals("result=" + exact, row.get("output"));
            assertTrue(row.get("peak_rss_mb").matches("\\d+"), "no peak RSS from in-node: " + row);
        } else {
            System.out.println("memory benchmark not smoke-tested: no in-node at " + IN_NODE.toAbsolutePath());
        }

        Report.main(new String[] {"--dir", REPORT.toString()});
        File chart = REPORT.resolve("perf.svg").toFile();
        // parses as XML, so any SVG viewer can draw it
        DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(chart);
        String svg = Files.readString(chart.toPath());
        assertTrue(svg.contains("End to end: speed relative to Spark built-in"), "no speed panel");
        assertTrue(svg.contains("weighted_avg, columnar path"), "no bar for the columnar path");
        assertEquals(Files.isExecutable(IN_NODE), svg.contains("Peak RSS"), "peak RSS panel iff memory was measured");
    }

    /** Runs a benchmark's main in a JVM of its own; returns what it printed, failing on a non-zero exit. */
    private static String run(String name, Class<?> main, String... args) throws IOException, InterruptedException {
        Files.createDirectories(REPORT);
        Path log = REPORT.resolve(name + ".log");
        Process process = new ProcessBuilder(ChildJvm.command("2g", main, List.of(args)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = process.waitFor(3, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        assertTrue(finished && process.exitValue() == 0, main.getSimpleName() + " failed:\n" + output);
        return output;
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
