package io.wavg.bench;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.DoubleFunction;

/**
 * Draws the benchmark CSVs of a report folder as one SVG: end-to-end speed relative to Spark's
 * built-in per engine, peak RSS per engine inside the memory cgroup, time per row and peak RSS over
 * dataset sizes when several were measured (flat lines: time linear in rows, memory constant), and
 * the kernels' ns per pair over batch sizes. Each (size, engine) shows its latest measurement, with
 * the speed ratio of the run that measured it; the footer names the runs, commands and machine.
 * SVG is written as text, so no plotting library or display is needed.
 *
 * <p>Arguments: {@code --dir DIR} (default target/bench-report), {@code --out FILE} (default DIR/perf.svg).
 */
public final class Report {
    private static final int WIDTH = 1080;
    private static final int LABEL_WIDTH = 420;
    private static final int BAR_HEIGHT = 14;
    private static final String[] SIZE_COLORS = {"#9ecae1", "#4292c6", "#2171b5", "#08519c", "#08306b"};
    private static final String[] SERIES_COLORS = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    private static final String ALARM_COLOR = "#d62728";
    private static final Map<String, String> LABELS = Map.ofEntries(
            Map.entry("spark_builtin", "Spark built-in sum(v*w)/sum(w)"),
            Map.entry("wavg_columnar", "weighted_avg, columnar path"),
            Map.entry("wavg_pushdown", "weighted_avg inside Spark's Parquet scan (spark.read.parquet)"),
            Map.entry("wavg_source_pushdown", "weighted_avg inside a wavg_parquet scan"),
            Map.entry("wavg_rows", "weighted_avg, row path"),
            Map.entry("wavg_generic", "weighted_avg, pushdown off (columnar GROUP BY)"),
            Map.entry("wavg_unpushed", "weighted_avg over wavg_parquet, pushdown off"),
            Map.entry("wavg_columnar_naive_kernel", "columnar path, naive C kernel"),
            Map.entry("udaf_aggregator", "typed Aggregator (functions.udaf)"),
            Map.entry("duckdb", "DuckDB weighted_avg, 2 threads"),
            Map.entry("javaKernel", "exact Java kernel (SIMD lanes)"),
            Map.entry("javaKernelScalar", "exact Java kernel without SIMD"),
            Map.entry("nativeKernel", "exact native kernel via jnr-ffi"),
            Map.entry("naiveDoubleSum", "naive Java double sum"),
            Map.entry("plainSum", "plain sum of both arrays (bandwidth)"));

    /** Marks an end-to-end engine name as the GROUP BY run (EndToEndBenchmark --keys). */
    static final String GROUP_BY = "_group_by_";

    private Report() {}

    public static void main(String[] args) throws IOException {
        Path dir = Csv.DEFAULT_DIR;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path chart = out != null ? out : dir.resolve("perf.svg");
        write(dir, chart);
        System.out.println("chart: " + chart.toAbsolutePath());
    }

    static void write(Path dir, Path chart) throws IOException {
        List<Map<String, String>> endToEnd = latest(Csv.read(dir.resolve(Csv.END_TO_END)), "rows", "engine");
        List<Map<String, String>> memory = latest(Csv.read(dir.resolve(Csv.MEMORY)), "rows", "query", "engine");
        List<Map<String, String>> kernel = latest(Csv.read(dir.resolve(Csv.KERNEL)), "kernel", "batch_pairs");
        if (endToEnd.isEmpty() && memory.isEmpty() && kernel.isEmpty()) {
            throw new IOException("no benchmark results in " + dir
                    + ": run EndToEndBenchmark, MemoryBenchmark or KernelBenchmark first");
        }
        Svg svg = new Svg();
        svg.text(16, svg.y + 22, "weighted_avg benchmarks", "start", 20, "bold");
        svg.y += 36;
        if (!endToEnd.isEmpty()) {
            speedPanel(svg, endToEnd);
        }
        if (!memory.isEmpty()) {
            memoryPanel(svg, memory);
        }
        if (values(endToEnd, "rows").size() > 1 || values(memory, "rows").size() > 1) {
            scalingPanel(svg, endToEnd, memory);
        }
        if (!kernel.isEmpty()) {
            kernelPanel(svg, kernel);
        }
        List<Map<String, String>> all = new ArrayList<>(endToEnd);
        all.addAll(memory);
        all.addAll(kernel);
        footer(svg, dir, all);
        Files.createDirectories(chart.toAbsolutePath().getParent());
        Files.writeString(chart, svg.document(), StandardCharsets.UTF_8);
    }

    /** The last row of each key, in the order the keys first appeared: a rerun replaces, not duplicates. */
    private static List<Map<String, String>> latest(List<Map<String, String>> rows, String... key) {
        Map<List<String>, Map<String, String>> byKey = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            byKey.put(List.of(key).stream().map(row::get).toList(), row);
        }
        return new ArrayList<>(byKey.values());
    }

    private static Set<String> values(List<Map<String, String>> rows, String column) {
        Set<String> values = new LinkedHashSet<>();
        rows.forEach(row -> values.add(row.get(column)));
        return values;
    }

    private static List<Long> sizes(List<Map<String, String>> rows) {
        return values(rows, "rows").stream().map(Long::parseLong).sorted().toList();
    }

    private static void speedPanel(Svg svg, List<Map<String, String>> rows) {
        List<String> engines = new ArrayList<>(values(rows, "engine"));
        List<Long> sizes = sizes(rows);
        Bar[][] bars = new Bar[engines.size()][sizes.size()];
        for (Map<String, String> row : rows) {
            double speed = Double.parseDouble(row.get("speed_vs_spark_builtin"));
            if (!Double.isNaN(speed)) { // NaN: a run that left Spark's built-in out with --only
                bars[engines.indexOf(row.get("engine"))][sizes.indexOf(Long.parseLong(row.get("rows")))] =
                        new Bar(speed, fmt("%.2fx", speed), false);
            }
        }
        barChart(svg, "End to end: speed relative to Spark built-in (higher is faster), local[2], warm cache",
                engines.stream().map(Report::label).toList(), sizes, bars, 1.0, "1x");
    }

    private static void memoryPanel(Svg svg, List<Map<String, String>> rows) {
        List<String> categories = new ArrayList<>();
        for (Map<String, String> row : rows) {
            String category = category(row);
            if (!categories.contains(category)) {
                categories.add(category);
            }
        }
        List<Long> sizes = sizes(rows);
        Bar[][] bars = new Bar[categories.size()][sizes.size()];
        for (Map<String, String> row : rows) {
            boolean failed = !row.get("exit").equals("0");
            String peak = row.get("peak_rss_mb");
            double mb = peak.equals("?") ? 0 : Double.parseDouble(peak);
            String text = row.get("oom_killed").equals("yes") ? "OOM-killed"
                    : failed ? "failed, exit " + row.get("exit") : fmt("%.0f MB", mb);
            bars[categories.indexOf(category(row))][sizes.indexOf(Long.parseLong(row.get("rows")))] =
                    new Bar(mb, text, failed);
        }
        Set<String> limits = values(rows, "limit_mb");
        double limit = limits.size() == 1 ? Double.parseDouble(limits.iterator().next()) : Double.NaN;
        barChart(svg, "Peak RSS: each query alone in a JVM (-Xmx" + String.join("/", values(rows, "heap"))
                + ") in a " + String.join("/", limits) + " MB memory cgroup", categories, sizes, bars, limit,
                "limit");
    }

    private static String category(Map<String, String> row) {
        return label(row.get("engine")) + (row.get("query").equals("global") ? "" : ", " + row.get("query"));
    }

    /** Two line charts over dataset size: time per row and peak RSS (global queries), one line per engine. */
    private static void scalingPanel(Svg svg, List<Map<String, String>> endToEnd, List<Map<String, String>> memory) {
        Map<String, TreeMap<Double, Double>> nsPerRow = new LinkedHashMap<>();
        for (Map<String, String> row : endToEnd) {
            if (row.get("engine").contains(GROUP_BY)) {
                continue; // GROUP BY runs have a time per row of their own
            }
            double rows = Double.parseDouble(row.get("rows"));
            nsPerRow.computeIfAbsent(row.get("engine"), e -> new TreeMap<>())
                    .put(rows, Double.parseDouble(row.get("median_seconds")) * 1e9 / rows);
        }
        Map<String, TreeMap<Double, Double>> peakMb = new LinkedHashMap<>();
        for (Map<String, String> row : memory) {
            if (row.get("query").equals("global") && row.get("exit").equals("0")
                    && !row.get("peak_rss_mb").equals("?")) {
                peakMb.computeIfAbsent(row.get("engine"), e -> new TreeMap<>())
                        .put(Double.parseDouble(row.get("rows")), Double.parseDouble(row.get("peak_rss_mb")));
            }
        }
        svg.panelTitle("Scaling over dataset size: flat lines mean time linear in rows and memory independent of them");
        Map<String, String> colors = seriesColors(nsPerRow.keySet(), peakMb.keySet());
        double half = (WIDTH - 48) / 2.0;
        double height = 220;
        DoubleFunction<String> rowsLabel = x -> compact((long) x) + " rows";
        lineChart(svg, 16, half, height, "end-to-end ns per row", nsPerRow, colors, false, rowsLabel);
        lineChart(svg, 32 + half, half, height, "peak RSS, MB (global query, exit 0)", peakMb, colors, false,
                rowsLabel);
        svg.y += height + 8;
        legend(svg, colors);
    }

    private static void kernelPanel(Svg svg, List<Map<String, String>> rows) {
        Map<String, TreeMap<Double, Double>> nsPerPair = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            nsPerPair.computeIfAbsent(row.get("kernel"), k -> new TreeMap<>())
                    .put(Double.parseDouble(row.get("batch_pairs")), Double.parseDouble(row.get("ns_per_pair")));
        }
        svg.panelTitle("Kernels alone (JMH): ns per pair over batch size, log scales; each exact call starts a "
                + "fresh state and normalizes it");
        Map<String, String> colors = seriesColors(nsPerPair.keySet(), Set.of());
        double height = 240;
        lineChart(svg, 16, WIDTH - 32, height, "ns per pair", nsPerPair, colors, true,
                x -> compact((long) x));
        svg.y += height + 8;
        legend(svg, colors);
    }

    private static Map<String, String> seriesColors(Set<String> first, Set<String> second) {
        Map<String, String> colors = new LinkedHashMap<>();
        for (Set<String> names : List.of(first, second)) {
            for (String name : names) {
                colors.putIfAbsent(name, SERIES_COLORS[colors.size() % SERIES_COLORS.length]);
            }
        }
        return colors;
    }

    /** A value drawn as a bar, its text written at the bar's end; an alarm bar is drawn red. */
    private record Bar(double value, String text, boolean alarm) {}

    /** Horizontal bars, a group per category and a bar per dataset size, and a dashed reference line. */
    private static void barChart(Svg svg, String title, List<String> categories, List<Long> sizes, Bar[][] bars,
                                 double reference, String referenceLabel) {
        svg.panelTitle(title);
        double max = Double.isNaN(reference) ? 0 : reference;
        for (Bar[] group : bars) {
            for (Bar bar : group) {
                max = bar == null ? max : Math.max(max, bar.value());
            }
        }
        double plotWidth = WIDTH - LABEL_WIDTH - 130;
        double scale = plotWidth / (max > 0 ? max : 1);
        for (int s = 0; s < sizes.size(); s++) {
            double x = LABEL_WIDTH + 10 + s * 110;
            svg.rect(x, svg.y, 10, 10, sizeColor(s, sizes.size()));
            svg.text(x + 14, svg.y + 9, compact(sizes.get(s)) + " rows", "start", 11, "normal");
        }
        svg.y += 18;
        double top = svg.y;
        double bottom = top + categories.size() * (sizes.size() * BAR_HEIGHT + 8);
        if (!Double.isNaN(reference)) {
            // drawn first, so that the bar labels it crosses stay on top of it
            double x = LABEL_WIDTH + reference * scale;
            svg.line(x, top - 4, x, bottom - 4, "#555", true);
            svg.text(x, bottom + 8, referenceLabel, "middle", 11, "normal");
        }
        for (int c = 0; c < categories.size(); c++) {
            double groupTop = svg.y;
            for (int s = 0; s < sizes.size(); s++) {
                Bar bar = bars[c][s];
                if (bar != null) {
                    double length = Math.max(1, bar.value() * scale);
                    svg.rect(LABEL_WIDTH, svg.y, length, BAR_HEIGHT - 2,
                            bar.alarm() ? ALARM_COLOR : sizeColor(s, sizes.size()));
                    svg.text(LABEL_WIDTH + length + 4, svg.y + BAR_HEIGHT - 4, bar.text(), "start", 11, "normal");
                }
                svg.y += BAR_HEIGHT;
            }
            svg.text(LABEL_WIDTH - 8, (groupTop + svg.y) / 2 + 4, categories.get(c), "end", 12, "normal");
            svg.y += 8;
        }
        svg.line(LABEL_WIDTH, top - 4, LABEL_WIDTH, bottom - 4, "#333", false);
        svg.y += 24;
    }

    private static String sizeColor(int index, int count) {
        // light to dark over the sizes, spread over the whole ramp so that neighbours stay apart
        int last = SIZE_COLORS.length - 1;
        return SIZE_COLORS[count == 1 ? last : Math.round(index * (float) last / (count - 1))];
    }

    /** Lines over a logarithmic x axis (ticks at the measured x values); y linear from 0, or logarithmic. */
    private static void lineChart(Svg svg, double left, double width, double height, String yTitle,
                                  Map<String, TreeMap<Double, Double>> series, Map<String, String> colors,
                                  boolean logY, DoubleFunction<String> xLabel) {
        TreeSet<Double> xs = new TreeSet<>();
        double minY = Double.POSITIVE_INFINITY;
        double maxY = 0;
        for (TreeMap<Double, Double> points : series.values()) {
            xs.addAll(points.keySet());
            for (double y : points.values()) {
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
            }
        }
        double plotLeft = left + 56;
        double plotWidth = width - 72;
        double top = svg.y + 18;
        double bottom = svg.y + height - 30;
        svg.text(left, svg.y + 10, yTitle, "start", 12, "bold");
        if (xs.isEmpty()) {
            svg.text(plotLeft + plotWidth / 2, (top + bottom) / 2, "no data", "middle", 12, "normal");
            return;
        }
        double logMinX = Math.log(xs.first());
        double logSpanX = Math.log(xs.last()) - logMinX;
        DoubleFunction<Double> px = x -> logSpanX == 0 ? plotLeft + plotWidth / 2
                : plotLeft + (Math.log(x) - logMinX) / logSpanX * plotWidth;
        List<Double> yTicks = new ArrayList<>();
        DoubleFunction<Double> py;
        if (logY) {
            double low = Math.pow(10, Math.floor(Math.log10(minY)));
            double high = Math.pow(10, Math.ceil(Math.log10(maxY)));
            high = high > low ? high : low * 10;
            for (double t = low; t <= high * 1.001; t *= 10) {
                yTicks.add(t);
            }
            double logLow = Math.log(low);
            double logSpanY = Math.log(high) - logLow;
            py = y -> bottom - (Math.log(y) - logLow) / logSpanY * (bottom - top);
        } else {
            double step = niceStep(maxY > 0 ? maxY / 4 : 1);
            double high = Math.ceil(maxY * 1.05 / step) * step;
            for (double t = 0; t <= high + step / 2; t += step) {
                yTicks.add(t);
            }
            double highest = high;
            py = y -> bottom - y / highest * (bottom - top);
        }
        for (double t : yTicks) {
            double y = py.apply(t);
            svg.line(plotLeft, y, plotLeft + plotWidth, y, "#e0e0e0", false);
            svg.text(plotLeft - 6, y + 4, number(t), "end", 11, "normal");
        }
        for (double x : xs) {
            svg.line(px.apply(x), bottom, px.apply(x), bottom + 4, "#333", false);
            svg.text(px.apply(x), bottom + 16, xLabel.apply(x), "middle", 11, "normal");
        }
        svg.line(plotLeft, bottom, plotLeft + plotWidth, bottom, "#333", false);
        svg.line(plotLeft, top, plotLeft, bottom, "#333", false);
        for (Map.Entry<String, TreeMap<Double, Double>> line : series.entrySet()) {
            List<double[]> points = new ArrayList<>();
            line.getValue().forEach((x, y) -> points.add(new double[] {px.apply(x), py.apply(y)}));
            svg.polyline(points, colors.get(line.getKey()));
        }
    }

    private static void legend(Svg svg, Map<String, String> colors) {
        double x = 72;
        for (Map.Entry<String, String> entry : colors.entrySet()) {
            String text = label(entry.getKey());
            double width = 28 + text.length() * 6.2;
            if (x + width > WIDTH - 16) {
                x = 72;
                svg.y += 16;
            }
            svg.rect(x, svg.y + 4, 18, 4, entry.getValue());
            svg.text(x + 22, svg.y + 10, text, "start", 11, "normal");
            x += width;
        }
        svg.y += 36;
    }

    private static void footer(Svg svg, Path dir, List<Map<String, String>> rows) {
        String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        svg.line(16, svg.y, WIDTH - 16, svg.y, "#999", false);
        svg.y += 16;
        svg.text(16, svg.y, "Drawn " + now + " by io.wavg.bench.Report from " + dir
                + " (latest result per engine and size) on: " + String.join("; ", values(rows, "machine")),
                "start", 11, "normal");
        Set<String> runs = new LinkedHashSet<>();
        rows.forEach(row -> runs.add(row.get("started") + "  " + row.get("command")));
        for (String run : runs) {
            svg.y += 15;
            svg.text(16, svg.y, run, "start", 11, "normal");
        }
        svg.y += 16;
    }

    /** Display names; a GROUP BY run's engine ("wavg_pushdown_group_by_1000000") gets its keys added. */
    private static String label(String name) {
        int groupBy = name.indexOf(GROUP_BY);
        if (groupBy > 0) {
            return label(name.substring(0, groupBy)) + ", GROUP BY "
                    + compact(Long.parseLong(name.substring(groupBy + GROUP_BY.length()))) + " keys";
        }
        return LABELS.getOrDefault(name, name);
    }

    /** 1000000 as "1M", 1500000000 as "1.5B", 16777216 as "16.8M"; below a million as is. */
    private static String compact(long n) {
        if (n < 1_000_000) {
            return fmt("%,d", n);
        }
        boolean billions = n >= 1_000_000_000;
        return number(n / (billions ? 1e9 : 1e6)) + (billions ? "B" : "M");
    }

    private static String number(double value) {
        return BigDecimal.valueOf(value).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
    private static double niceStep(double rough) {
        double power = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double factor : new double[] {1, 2, 5, 10}) {
            if (factor * power >= rough) {
                return factor * power;
            }
        }
        return 10 * power;
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** SVG text with a cursor {@link #y} that panels advance as they stack downwards. */
    private static final class Svg {
        private final StringBuilder body = new StringBuilder();
        double y;

        void panelTitle(String title) {
            text(16, y + 14, title, "start", 14, "bold");
            y += 26;
        }

        void text(double x, double baseline, String text, String anchor, int size, String weight) {
            body.append(fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" font-weight=\"%s\">"
                    + "%s</text>%n", x, baseline, anchor, size, weight, escape(text)));
        }

        void rect(double x, double top, double width, double height, String fill) {
            body.append(fmt("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                    x, top, width, height, fill));
        }

        void line(double x1, double y1, double x2, double y2, String stroke, boolean dashed) {
            body.append(fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
                    x1, y1, x2, y2, stroke, dashed ? " stroke-dasharray=\"4 3\"" : ""));
        }

        void polyline(List<double[]> points, String stroke) {
            StringBuilder coordinates = new StringBuilder();
            for (double[] p : points) {
                coordinates.append(fmt("%.1f,%.1f ", p[0], p[1]));
                body.append(fmt("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", p[0], p[1], stroke));
            }
            body.append(fmt("<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    coordinates.toString().strip(), stroke));
        }

        String document() {
            return fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
                    + "font-family=\"DejaVu Sans, Arial, sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" "
                    + "fill=\"white\"/>%n", WIDTH, y, WIDTH, y) + body + "</svg>\n";
        }

        private static String escape(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
