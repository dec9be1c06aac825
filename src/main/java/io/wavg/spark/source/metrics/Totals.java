package io.wavg.spark.source.metrics;

/** Adds up task values. */
final class Totals {
    private Totals() {}

    static long sum(long[] taskValues) {
        long total = 0;
        for (long value : taskValues) {
            total += value;
        }
        return total;
    }
}
