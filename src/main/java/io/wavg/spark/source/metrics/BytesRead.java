package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomSumMetric;

/** Bytes read from Parquet files. */
public final class BytesRead extends CustomSumMetric {
    public static final String NAME = "bytesRead";

    public static TaskValue of(long value) {
        return new TaskValue(NAME, value);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "bytes read from Parquet files";
    }
}
