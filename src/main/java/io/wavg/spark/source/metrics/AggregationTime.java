package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomMetric;

/** Time aggregating inside the scan (ms). */
public final class AggregationTime implements CustomMetric {
    public static final String NAME = "aggregationTime";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "time aggregating inside the scan (ms)";
    }

    /** Tasks report nanoseconds; the UI shows their sum in milliseconds. */
    @Override
    public String aggregateTaskMetrics(long[] taskValues) {
        long nanos = 0;
        for (long value : taskValues) {
            nanos += value;
        }
        return Long.toString(nanos / 1_000_000);
    }
}
