package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomSumMetric;

/** Rows aggregated inside the scan. */
public final class RowsAggregated extends CustomSumMetric {
    public static final String NAME = "rowsAggregated";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "rows aggregated inside the scan";
    }
}
