package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomSumMetric;

/** Row groups skipped by statistics. */
public final class RowGroupsSkipped extends CustomSumMetric {
    public static final String NAME = "rowGroupsSkipped";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "row groups skipped by statistics";
    }
}
