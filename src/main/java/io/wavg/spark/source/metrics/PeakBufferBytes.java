package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomMetric;

/** Largest page buffers held by a task (bytes). */
public final class PeakBufferBytes implements CustomMetric {
    public static final String NAME = "peakBufferBytes";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "largest page buffers held by a task (bytes)";
    }

    /** The largest task's value: what one executor needs, whatever the number of tasks. */
    @Override
    public String aggregateTaskMetrics(long[] taskValues) {
        long max = 0;
        for (long value : taskValues) {
            max = Math.max(max, value);
        }
        return Long.toString(max);
    }
}
