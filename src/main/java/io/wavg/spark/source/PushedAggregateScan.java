package io.wavg.spark.source;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
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

/** The same row groups as the scan it replaces, answered in bundles with partial weighted_avg states. */
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

    /**
     * The row groups the scan would read, packed into one bundle per core Spark reports: each task's
     * partial result is tiny (or one state per group), so more tasks only add overhead and states.
     */
    @Override
    public InputPartition[] planInputPartitions() {
        Map<String, ParquetFiles.Footer> footers = new HashMap<>();
        for (ParquetFiles.Footer footer : files.footers()) {
            footers.put(footer.path(), footer);
        }
        int cores = SparkSession.active().sparkContext().defaultParallelism();
        return RowGroupBundle.pack(rows.rowGroups(), cores).stream()
                .map(bundle -> new RowGroupBundle(bundle, magnitudeBounds(bundle, footers), keyRange(bundle, footers)))
                .toArray(InputPartition[]::new);
    }

    /** Per pushed column, the largest magnitude its statistics allow over the bundle's row groups. */
    private double[] magnitudeBounds(List<RowGroupPartition> bundle, Map<String, ParquetFiles.Footer> footers) {
        List<Attribute> columns = aggregation.columns();
        double[] bounds = new double[columns.size()];
        for (RowGroupPartition rowGroup : bundle) {
            ParquetFiles.Footer footer = footers.get(rowGroup.path());
            BlockMetaData block = footer.metadata().getBlocks().get(rowGroup.rowGroup());
            for (int c = 0; c < bounds.length; c++) {
                Attribute column = columns.get(c);
                // Math.max keeps a NaN: one row group without statistics leaves the bound unknown
                bounds[c] = Math.max(bounds[c], ParquetFiles.magnitudeBound(footer.chunk(block, column.name()),
                        column.dataType()));
            }
        }
        return bounds;
    }

    /** {min, max} of a single integral GROUP BY key over the bundle, or null when unknown. */
    private long[] keyRange(List<RowGroupPartition> bundle, Map<String, ParquetFiles.Footer> footers) {
        if (aggregation.groups().length != 1) {
            return null;
        }
        String key = aggregation.columns().get(aggregation.groups()[0]).name();
        long[] range = null;
        for (RowGroupPartition rowGroup : bundle) {
            ParquetFiles.Footer footer = footers.get(rowGroup.path());
            ColumnChunkMetaData chunk = footer.chunk(footer.metadata().getBlocks().get(rowGroup.rowGroup()), key);
            if (chunk == null || chunk.getValueCount() == 0) {
                continue; // only NULL keys here, which need no range (a partition column has no chunk: no range)
            }
            Statistics<?> stats = chunk.getStatistics();
            if (stats == null || stats.isEmpty() || !stats.hasNonNullValue()
                    || !(stats.genericGetMin() instanceof Number min) || !(stats.genericGetMax() instanceof Number max)
                    || !(min instanceof Integer || min instanceof Long)) {
                if (stats != null && stats.isNumNullsSet() && stats.getNumNulls() == chunk.getValueCount()) {
                    continue;
                }
                return null;
            }
            range = range == null ? new long[] {min.longValue(), max.longValue()}
                    : new long[] {Math.min(range[0], min.longValue()), Math.max(range[1], max.longValue())};
        }
        return range;
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
        return new PushedAggregateReaderFactory(aggregation, files.broadcastConf());
    }
}
