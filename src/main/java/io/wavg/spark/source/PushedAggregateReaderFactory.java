package io.wavg.spark.source;

import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.util.SerializableConfiguration;

/** Creates, on an executor, the reader that aggregates a bundle of row groups into partial states. */
final class PushedAggregateReaderFactory implements PartitionReaderFactory {
    private static final long serialVersionUID = 1L;

    private final PushedAggregation aggregation;
    private final Broadcast<SerializableConfiguration> hadoopConf;

    PushedAggregateReaderFactory(PushedAggregation aggregation, Broadcast<SerializableConfiguration> hadoopConf) {
        this.aggregation = aggregation;
        this.hadoopConf = hadoopConf;
    }

    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
        return new AggregatingReader((RowGroupBundle) partition, aggregation, hadoopConf.value().value());
    }
}
