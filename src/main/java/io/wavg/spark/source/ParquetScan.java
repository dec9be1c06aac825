package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructType;

import io.wavg.spark.source.metrics.BytesRead;
import io.wavg.spark.source.metrics.PeakBufferBytes;
import io.wavg.spark.source.metrics.RowGroupsSkipped;
import io.wavg.spark.source.metrics.RowsRead;

/** Plans one input partition per row group, leaving out those the pushed filters rule out. */
public final class ParquetScan implements Scan, Batch {
    private final ParquetFiles files;
    private final StructType readSchema;
    private final Filter[] filters;
    private List<RowGroupPartition> partitions;
    private int skippedRowGroups;

    ParquetScan(ParquetFiles files, StructType readSchema, Filter[] filters) {
        this.files = files;
        this.readSchema = readSchema;
        this.filters = filters;
    }

    @Override
    public StructType readSchema() {
        return readSchema;
    }

    @Override
    public String description() {
        return files.name() + " " + files.location() + " [" + String.join(", ", readSchema.fieldNames())
                + "] PushedFilters: " + Arrays.stream(filters).map(Filter::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    @Override
    public Batch toBatch() {
        return this;
    }

    @Override
    public InputPartition[] planInputPartitions() {
        return rowGroups().toArray(new InputPartition[0]);
    }

    synchronized List<RowGroupPartition> rowGroups() {
        if (partitions == null) {
            partitions = new ArrayList<>();
            for (ParquetFiles.Footer footer : files.footers()) {
                List<BlockMetaData> blocks = footer.metadata().getBlocks();
                for (int i = 0; i < blocks.size(); i++) {
                    BlockMetaData block = blocks.get(i);
                    if (block.getRowCount() == 0) {
                        continue;
                    }
                    if (Arrays.stream(filters).allMatch(f -> RowGroupFilter.mightMatch(f, footer, block))) {
                        partitions.add(new RowGroupPartition(footer.path(), i, block.getRowCount(),
                                ParquetFiles.chunks(footer, block, readSchema),
                                footer.hostsOf(block.getStartingPos(), block.getCompressedSize()),
                                footer.partitionValues()));
                    } else {
                        skippedRowGroups++;
                    }
                }
            }
        }
        return partitions;
    }

    /** Row groups left out because their statistics rule out every filter match. */
    public int skippedRowGroups() {
        rowGroups();
        return skippedRowGroups;
    }

    @Override
    public CustomMetric[] supportedCustomMetrics() {
        return new CustomMetric[] {new RowsRead(), new BytesRead(), new PeakBufferBytes(), new RowGroupsSkipped()};
    }

    @Override
    public CustomTaskMetric[] reportDriverMetrics() {
        return new CustomTaskMetric[] {RowGroupsSkipped.of(skippedRowGroups())};
    }

    @Override
    public PartitionReaderFactory createReaderFactory() {
        return new ParquetReaderFactory(readSchema, files.broadcastConf());
    }
}
