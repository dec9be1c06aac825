package io.wavg.spark.source.metrics;

import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/** A metric's value from one task, or from the driver. */
public record TaskValue(String name, long value) implements CustomTaskMetric {}
