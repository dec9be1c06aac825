package io.wavg.spark.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.spark.sql.execution.vectorized.ColumnVectorUtils;
import org.apache.spark.sql.execution.vectorized.ConstantColumnVector;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.spark.source.metrics.BytesRead;
import io.wavg.spark.source.metrics.PeakBufferBytes;
import io.wavg.spark.source.metrics.RowsRead;
import io.wavg.spark.source.parquet.ChunkStream;
import io.wavg.spark.source.parquet.ColumnChunkReader;
import io.wavg.spark.source.parquet.SparkTypes;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/**
 * Reads one row group as batches of {@value #BATCH_ROWS} rows, each requested column streamed page by
 * page from its own position in the file.
 */
final class RowGroupBatchReader implements PartitionReader<ColumnarBatch> {
    static final int BATCH_ROWS = 4096;

    private final RowGroupPartition partition;
    private final CodecFactory codecs;
    private final ColumnChunkReader[] readers; // null where the file lacks the column, and for partition columns
    private final WritableColumnVector[] vectors; // null for partition columns
    private final ColumnarBatch batch;
    private final StructType schema;
    private long rowsLeft;
    private long rowsRead;

    /**
     * @param schema the columns of the batches: the row group's data columns, then any partition
     *               columns (constant, from the partition's values)
     */
    RowGroupBatchReader(RowGroupPartition partition, StructType schema, Configuration conf) {
        this.partition = partition;
        this.codecs = new CodecFactory(conf, 0);
        this.readers = new ColumnChunkReader[schema.size()];
        this.schema = schema;
        this.vectors = new WritableColumnVector[schema.size()];
        ColumnVector[] columns = new ColumnVector[schema.size()];
        this.rowsLeft = partition.rows();
        try {
            Path path = new Path(partition.path());
            List<RowGroupPartition.Chunk> chunks = partition.chunks();
            if (chunks == null) {
                ParquetMetadata footer = footer(path, conf);
                chunks = ParquetFiles.chunks(new ParquetFiles.Footer(partition.path(), footer,
                        SparkTypes.schemaOf(footer.getFileMetaData().getSchema(), partition.path()), new BlockLocation[0]),
                        footer.getBlocks().get(partition.rowGroup()), schema);
            }
            StructField[] fields = schema.fields();
            for (int c = 0; c < fields.length; c++) {
                if (c >= chunks.size()) {
                    ConstantColumnVector constant = new ConstantColumnVector(BATCH_ROWS, fields[c].dataType());
                    ColumnVectorUtils.populate(constant, partition.partitionValues(), c - chunks.size());
                    columns[c] = constant;
                    continue;
                }
                RowGroupPartition.Chunk chunk = chunks.get(c);
                vectors[c] = new OnHeapColumnVector(BATCH_ROWS, chunk == null ? fields[c].dataType() : chunk.type());
                columns[c] = vectors[c];
                if (chunk == null) {
                    continue; // the file lacks the column: all NULL
                }
                CompressionCodecName codec = CompressionCodecName.valueOf(chunk.codec());
                ChunkStream bytes = ChunkStream.open(path, conf, chunk.start(), chunk.size());
                try {
                    readers[c] = new ColumnChunkReader(bytes, chunk.descriptor(), codec, chunk.values(),
                            () -> codecs.getDecompressor(codec), chunk.type(), partition.path());
                } catch (RuntimeException | Error e) {
                    try {
                        bytes.close();
                    } catch (IOException closing) {
                        e.addSuppressed(closing);
                    }
                    throw e;
                }
            }
            this.batch = new ColumnarBatch(columns);
        } catch (IOException e) {
            UncheckedIOException failure = new UncheckedIOException(WeightedAvgParquetSource.NAME
                    + ": cannot read row group " + partition.rowGroup() + " of " + partition.path() + ": "
                    + e.getMessage(), e);
            closeAfter(failure);
            throw failure;
        } catch (RuntimeException | Error e) {
            closeAfter(e);
            throw e;
        }
    }

    private static ParquetMetadata footer(Path path, Configuration conf) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
            return reader.getFooter();
        }
    }

    @Override
    public boolean next() {
        if (rowsLeft == 0) {
            return false;
        }
        int rows = (int) Math.min(BATCH_ROWS, rowsLeft);
        for (int c = 0; c < vectors.length; c++) {
            if (vectors[c] == null) {
                continue; // a partition column: one value for every row
            }
            vectors[c].reset();
            if (readers[c] == null) {
                vectors[c].putNulls(0, rows);
            } else if (readers[c].read(vectors[c], rows) != rows) {
                // named like every other unreadable column (the vector itself prints as an object id)
                throw new io.wavg.spark.source.parquet.UnsupportedParquetException(partition.path(),
                        schema.fields()[c].name(), "has fewer values than its row group's "
                        + partition.rows() + " rows");
            }
        }
        batch.setNumRows(rows);
        rowsLeft -= rows;
        rowsRead += rows;
        return true;
    }

    /**
     * The next rows as one run of little-endian doubles per column, read where they lie in the pages,
     * when every column has non-NULL PLAIN doubles ahead; null when one has not (then {@link #next}
     * reads the rows). The views are valid until the next call.
     */
    ByteBuffer[] nextDoubleRuns() {
        long run = rowsLeft;
        for (ColumnChunkReader reader : readers) {
            if (run == 0 || reader == null) {
                return null;
            }
            run = Math.min(run, reader.plainDoublesAhead());
        }
        if (run == 0) {
            return null;
        }
        ByteBuffer[] runs = new ByteBuffer[readers.length];
        for (int c = 0; c < readers.length; c++) {
            runs[c] = readers[c].takePlainDoubles((int) run);
        }
        rowsLeft -= run;
        rowsRead += run;
        return runs;
    }

    @Override
    public ColumnarBatch get() {
        return batch;
    }

    long rowsRead() {
        return rowsRead;
    }

    @Override
    public CustomTaskMetric[] currentMetricsValues() {
        return new CustomTaskMetric[] {RowsRead.of(rowsRead), BytesRead.of(bytesRead()), PeakBufferBytes.of(peakBufferBytes())};
    }

    /** Bytes read and the largest page buffers held, over all columns. */
    long bytesRead() {
        long total = 0;
        for (ColumnChunkReader reader : readers) {
            total += reader == null ? 0 : reader.bytesRead();
        }
        return total;
    }

    long peakBufferBytes() {
        long total = 0;
        for (ColumnChunkReader reader : readers) {
            total += reader == null ? 0 : reader.peakBufferBytes();
        }
        return total;
    }

    /** Closes what the constructor opened before it failed, keeping the failure the one reported. */
    private void closeAfter(Throwable failure) {
        try {
            close();
        } catch (RuntimeException closing) {
            failure.addSuppressed(closing);
        }
    }

    @Override
    public void close() {
        List<Exception> failures = new ArrayList<>();
        for (ColumnChunkReader reader : readers) {
            if (reader != null) {
                try {
                    reader.close();
                } catch (IOException | RuntimeException e) {
                    failures.add(e);
                }
            }
        }
        for (ColumnVector vector : vectors) {
            if (vector != null) {
                vector.close();
            }
        }
        codecs.release();
        if (!failures.isEmpty()) {
            UncheckedIOException failure = new UncheckedIOException(new IOException("closing " + partition.path(),
                    failures.get(0)));
            failures.subList(1, failures.size()).forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
