package io.wavg.spark.source;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.util.SerializableConfiguration;

/** Creates, on an executor, the reader that aggregates a row group into partial states. */
final class PushedAggregateReaderFactory implements PartitionReaderFactory {
    private static final long serialVersionUID = 1L;

    private final PushedAggregation aggregation;
    private final SerializableConfiguration hadoopConf;

    PushedAggregateReaderFactory(PushedAggregation aggregation, SerializableConfiguration hadoopConf) {
        this.aggregation = aggregation;
        this.hadoopConf = hadoopConf;
    }

    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
        return new AggregatingReader((RowGroupPartition) partition, aggregation, hadoopConf.value());
    }
}
