package io.wavg.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** The median wall time of an engine's timed runs, and the result they gave. */
record Measurement(double medianSeconds, double result) {
    /**
     * One warm-up per engine, then {@code runs} rounds that time each engine once, in order: a machine
     * whose speed drifts during the benchmark (a shared host) slows every engine alike rather than
     * whichever ran last, so the ratios between engines hold.
     */
    static Map<String, Measurement> interleaved(Map<String, Callable<Double>> engines, int runs) throws Exception {
        Map<String, double[]> seconds = new LinkedHashMap<>();
        Map<String, Double> results = new LinkedHashMap<>();
        for (Map.Entry<String, Callable<Double>> engine : engines.entrySet()) {
            results.put(engine.getKey(), engine.getValue().call());
            seconds.put(engine.getKey(), new double[runs]);
        }
        for (int i = 0; i < runs; i++) {
            for (Map.Entry<String, Callable<Double>> engine : engines.entrySet()) {
                long start = System.nanoTime();
                results.put(engine.getKey(), engine.getValue().call());
                seconds.get(engine.getKey())[i] = (System.nanoTime() - start) / 1e9;
            }
        }
        Map<String, Measurement> measured = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> engine : seconds.entrySet()) {
            double[] sorted = engine.getValue().clone();
            Arrays.sort(sorted);
            measured.put(engine.getKey(), new Measurement(sorted[runs / 2], results.get(engine.getKey())));
        }
        return measured;
    }
}
