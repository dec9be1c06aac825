package io.wavg.bench;

import java.util.Arrays;
import java.util.concurrent.Callable;

/** One warm-up, then the median wall time of {@code runs} timed runs, and the result they gave. */
record Measurement(double medianSeconds, double result) {
    static Measurement of(Callable<Double> query, int runs) throws Exception {
        double result = query.call();
        double[] seconds = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            result = query.call();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return new Measurement(seconds[runs / 2], result);
    }
}
