package io.wavg.spark.source;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** COUNT(*) answered from the row counts in the footers, without reading a page. */
final class FooterCountScan implements Scan, Batch {
    private final ParquetFiles files;

    FooterCountScan(ParquetFiles files) {
        this.files = files;
    }

    /** The answer, computed on the driver and shipped as the only partition. */
    record Count(long rows) implements InputPartition {}

    @Override
    public StructType readSchema() {
        return new StructType().add("count", DataTypes.LongType, false);
    }

    @Override
    public String description() {
        return WeightedAvgParquetSource.NAME + " " + files.location() + " PushedAggregation: [COUNT(*)] from footers";
    }

    @Override
    public Batch toBatch() {
        return this;
    }

    @Override
    public InputPartition[] planInputPartitions() {
        long rows = 0;
        for (ParquetFiles.Footer footer : files.footers()) {
            rows += footer.metadata().getBlocks().stream().mapToLong(b -> b.getRowCount()).sum();
        }
        return new InputPartition[] {new Count(rows)};
    }

    @Override
    public PartitionReaderFactory createReaderFactory() {
        return new CountReaderFactory();
    }

    private static final class CountReaderFactory implements PartitionReaderFactory {
        private static final long serialVersionUID = 1L;

        @Override
        public PartitionReader<InternalRow> createReader(InputPartition partition) {
            long rows = ((Count) partition).rows();
            return new PartitionReader<>() {
                private boolean done;

                @Override
                public boolean next() {
                    boolean first = !done;
                    done = true;
                    return first;
                }

                @Override
                public InternalRow get() {
                    return new GenericInternalRow(new Object[] {rows});
                }

                @Override
                public void close() {}
            };
        }
    }
}
