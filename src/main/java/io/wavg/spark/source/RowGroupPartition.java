package io.wavg.spark.source;

import org.apache.spark.sql.connector.read.InputPartition;

/** One row group of one file: the unit of work of a task. */
public record RowGroupPartition(String path, int rowGroup, long rows) implements InputPartition {}
