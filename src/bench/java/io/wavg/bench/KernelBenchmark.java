package io.wavg.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import io.wavg.kernel.JavaKernel;
import io.wavg.kernel.Kernels;
import io.wavg.kernel.NativeKernel;
import io.wavg.kernel.StateLayout;

/**
 * JMH: time of one batch of {@code batch} random pairs (weight U(0,100), value N(50,1000)) for the
 * exact Java kernel, the exact native kernel through jnr-ffi, a naive Java double-sum loop and a
 * plain sum of both arrays with independent accumulators (the memory-bandwidth reference). Like
 * native/bench/kernel_bench.c, each exact call starts from a fresh state and ends normalized, so
 * small batches show the fixed cost per call (and, for the native kernel, the cost of crossing
 * jnr-ffi twice), large ones the cost per pair; the largest batch streams from memory.
 *
 * <p>{@link #main} runs them with the short defaults below, prints ns per pair with throughput
 * ratios to the naive loop and appends them to target/bench-report/kernel.csv. JMH options may be
 * passed, e.g. {@code -p batch=16,4096 -f 3}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 200, timeUnit = TimeUnit.MILLISECONDS)
public class KernelBenchmark {
    private static final List<String> COLUMNS = List.of("naiveDoubleSum", "plainSum", "javaKernel", "javaKernelScalar", "nativeKernel");

    @Param({"16", "64", "256", "1024", "4096", "65536", "16777216"})
    int batch;

    double[] weights;
    double[] values;
    long[] javaState;
    long[] nativeState;
    NativeKernel nativeKernel;

    @Setup
    public void createPairs() {
        Random random = new Random(42);
        weights = new double[batch];
        values = new double[batch];
        for (int i = 0; i < batch; i++) {
            weights[i] = random.nextDouble() * 100;
            values[i] = random.nextGaussian() * 1000 + 50;
        }
        javaState = StateLayout.newState();
        nativeState = StateLayout.newState();
        nativeKernel = Kernels.bundledNative();
    }

    @Benchmark
    public long[] javaKernel() {
        fresh(javaState);
        JavaKernel.INSTANCE.addColumns(javaState, weights, values, null, null, batch);
        JavaKernel.INSTANCE.normalize(javaState);
        return javaState;
    }

    /** The Java kernel without SIMD lanes, as on a JVM without the Vector API module. */
    @Benchmark
    public long[] javaKernelScalar() {
        fresh(javaState);
        JavaKernel.SCALAR.addColumns(javaState, weights, values, null, null, batch);
        JavaKernel.SCALAR.normalize(javaState);
        return javaState;
    }

    @Benchmark
    public long[] nativeKernel() {
        fresh(nativeState);
        nativeKernel.addColumns(nativeState, weights, values, null, null, batch);
        nativeKernel.normalize(nativeState);
        return nativeState;
    }

    /** What a user writes first; Java keeps the additions in order, so each waits for the last. */
    @Benchmark
    public double naiveDoubleSum() {
        double weight = 0;
        double product = 0;
        for (int i = 0; i < batch; i++) {
            weight += weights[i];
            product += weights[i] * values[i];
        }
        return product / weight;
    }

    /** Reads both arrays with four independent sums each: bound by loads, not by addition latency. */
    @Benchmark
    public double plainSum() {
        double w0 = 0, w1 = 0, w2 = 0, w3 = 0, v0 = 0, v1 = 0, v2 = 0, v3 = 0;
        int i = 0;
        for (; i + 3 < batch; i += 4) {
            w0 += weights[i];
            w1 += weights[i + 1];
            w2 += weights[i + 2];
            w3 += weights[i + 3];
            v0 += values[i];
            v1 += values[i + 1];
            v2 += values[i + 2];
            v3 += values[i + 3];
        }
        for (; i < batch; i++) {
            w0 += weights[i];
            v0 += values[i];
        }
        return w0 + w1 + w2 + w3 + v0 + v1 + v2 + v3;
    }

    /** What wavg_state_init does: zero digits and header, keep the layout tag. */
    private static void fresh(long[] state) {
        Arrays.fill(state, StateLayout.TAG + 1, state.length, 0L);
    }

    public static void main(String[] args) throws Exception {
        RunInfo run = RunInfo.of(KernelBenchmark.class, args);
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .parent(new CommandLineOptions(args))
                .include(KernelBenchmark.class.getName() + "\\.")
                .build()).run();

        // batch -> benchmark -> {ns per pair, error}
        Map<Integer, Map<String, double[]>> nsPerPair = new TreeMap<>();
        List<List<String>> csvRows = new ArrayList<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            int pairs = Integer.parseInt(result.getParams().getParam("batch"));
            double ns = result.getPrimaryResult().getScore() / pairs;
            double error = result.getPrimaryResult().getScoreError() / pairs;
            nsPerPair.computeIfAbsent(pairs, p -> new TreeMap<>()).put(name, new double[] {ns, error});
            List<String> row = new ArrayList<>(run.fields());
            row.addAll(List.of(name, Integer.toString(pairs), EndToEndBenchmark.fmt("%.4f", ns),
                    EndToEndBenchmark.fmt("%.4f", error)));
            csvRows.add(row);
        }

        List<String[]> table = new ArrayList<>();
        for (Map.Entry<Integer, Map<String, double[]>> entry : nsPerPair.entrySet()) {
            Map<String, double[]> byName = entry.getValue();
            List<String> cells = new ArrayList<>(List.of(EndToEndBenchmark.fmt("%,d", entry.getKey())));
            for (String column : COLUMNS) {
                cells.add(byName.containsKey(column) ? EndToEndBenchmark.fmt("%.3f", byName.get(column)[0]) : "");
            }
            cells.add(throughputRatio(byName, "javaKernel", "naiveDoubleSum"));
            cells.add(throughputRatio(byName, "javaKernelScalar", "naiveDoubleSum"));
            cells.add(throughputRatio(byName, "nativeKernel", "naiveDoubleSum"));
            cells.add(throughputRatio(byName, "nativeKernel", "javaKernel"));
            table.add(cells.toArray(String[]::new));
        }
        System.out.printf("%nns per pair (lower is faster); ratios are throughput, e.g. native/naive = naive time "
                + "/ native time; the Java kernel ran on %d SIMD lanes in this JVM (1: scalar)%n",
                JavaKernel.INSTANCE.lanes());
        EndToEndBenchmark.printTable(new String[] {"batch (pairs)", "naive Java", "plain sum", "Java kernel",
                "Java scalar", "native kernel", "Java/naive", "Java scalar/naive", "native/naive", "native/Java"},
                table);

        List<String> header = new ArrayList<>(RunInfo.header());
        header.addAll(List.of("kernel", "batch_pairs", "ns_per_pair", "ns_per_pair_error"));
        Path csv = Csv.DEFAULT_DIR.resolve(Csv.KERNEL);
        Csv.append(csv, header, csvRows);
        System.out.println("appended to " + csv + "; chart: -Dbench.main=io.wavg.bench.Report");
    }

    private static String throughputRatio(Map<String, double[]> byName, String kernel, String reference) {
        if (!byName.containsKey(kernel) || !byName.containsKey(reference)) {
            return "";
        }
        return EndToEndBenchmark.fmt("%.2f", byName.get(reference)[0] / byName.get(kernel)[0]);
    }
}
