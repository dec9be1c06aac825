package io.wavg.spark.source;

import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.types.StructType;

import io.wavg.spark.source.metrics.AggregationTime;
import io.wavg.spark.source.metrics.BytesRead;
import io.wavg.spark.source.metrics.PeakBufferBytes;
import io.wavg.spark.source.metrics.RowGroupsSkipped;
import io.wavg.spark.source.metrics.RowsAggregated;
import io.wavg.spark.source.metrics.RowsRead;

/** The same row groups as the scan it replaces, each answered with partial weighted_avg states. */
public final class PushedAggregateScan implements Scan, Batch {
    private final ParquetScan rows;
    private final ParquetFiles files;
    private final PushedAggregation aggregation;

    PushedAggregateScan(ParquetScan rows, ParquetFiles files, PushedAggregation aggregation) {
        this.rows = rows;
        this.files = files;
        this.aggregation = aggregation;
    }

    public PushedAggregation aggregation() {
        return aggregation;
    }

    @Override
    public StructType readSchema() {
        return aggregation.outputSchema();
    }

    @Override
    public String description() {
        return rows.description() + " " + aggregation.describe();
    }

    @Override
    public Batch toBatch() {
        return this;
    }

    @Override
    public InputPartition[] planInputPartitions() {
        return rows.planInputPartitions();
    }

    @Override
    public CustomMetric[] supportedCustomMetrics() {
        return new CustomMetric[] {new RowsRead(), new RowsAggregated(), new BytesRead(), new PeakBufferBytes(),
            new AggregationTime(), new RowGroupsSkipped()};
    }

    @Override
    public CustomTaskMetric[] reportDriverMetrics() {
        return rows.reportDriverMetrics();
    }

    @Override
    public PartitionReaderFactory createReaderFactory() {
        return new PushedAggregateReaderFactory(aggregation, files.hadoopConf());
    }
}
