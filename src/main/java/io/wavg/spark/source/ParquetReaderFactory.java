package io.wavg.spark.source;

import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.SerializableConfiguration;

/** Creates the columnar reader of a row group on an executor. */
public final class ParquetReaderFactory implements PartitionReaderFactory {
    private static final long serialVersionUID = 1L;

    private final StructType schema;
    private final Broadcast<SerializableConfiguration> hadoopConf;

    ParquetReaderFactory(StructType schema, Broadcast<SerializableConfiguration> hadoopConf) {
        this.schema = schema;
        this.hadoopConf = hadoopConf;
    }

    @Override
    public boolean supportColumnarReads(InputPartition partition) {
        return true;
    }

    @Override
    public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
        return new RowGroupBatchReader((RowGroupPartition) partition, schema, hadoopConf.value().value());
    }

    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
        throw new UnsupportedOperationException(WeightedAvgParquetSource.NAME + " reads columnar batches only");
    }
}
