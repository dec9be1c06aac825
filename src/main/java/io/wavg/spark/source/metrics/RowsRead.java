package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomSumMetric;

/** Rows read from Parquet. */
public final class RowsRead extends CustomSumMetric {
    public static final String NAME = "rowsRead";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "rows read from Parquet";
    }
}
