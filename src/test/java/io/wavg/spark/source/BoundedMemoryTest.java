package io.wavg.spark.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.wavg.spark.source.parquet.ChunkStream;
import io.wavg.spark.source.parquet.ColumnChunkReader;

/**
 * Memory is bounded by the page, not the column chunk: one row group of 2M doubles (a 16 MB chunk in
 * 64 KB pages) is read holding a page or two at a time. A functional check of the reader's own
 * accounting and of the largest read it asks of the file, not a timing test.
 */
class BoundedMemoryTest {
    @TempDir
    static Path dir;

    static final int ROWS = 2_000_000;
    static final int PAGE = 64 * 1024;

    private static Path file;
    private static ColumnChunkMetaData chunk;
    private static MessageType schema;
    private static long expectedChecksum;
    private static int expectedNulls;

    @BeforeAll
    static void writeOneLargeRowGroup() {
        schema = MessageTypeParser.parseMessageType("message m { optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        Random random = new Random(99);
        List<Group> rows = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            Group g = factory.newGroup();
            if (i % 1000 == 999) {
                expectedNulls++;
            } else {
                double x = random.nextDouble() * 2 - 1;
                g.append("x", x);
                expectedChecksum = mix(expectedChecksum, x);
            }
            rows.add(g);
        }
        file = dir.resolve("one-large-row-group.parquet");
        SourceTestSupport.writeGroups(file, schema, rows, b -> b
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withDictionaryEncoding(false)
                .withPageSize(PAGE)
                .withRowGroupSize(1L << 30));
        ParquetMetadata footer = SourceTestSupport.footer(file);
        assertEquals(1, footer.getBlocks().size(), "one row group");
        chunk = footer.getBlocks().get(0).getColumns().get(0);
        assertTrue(chunk.getTotalSize() > 15_000_000, "a large chunk: " + chunk.getTotalSize());
        assertTrue(SourceTestSupport.pageCensus(file).get("DATA_PAGE") > 200, "many pages");
    }

    /** An order-dependent checksum of the values, so a reader that drops, repeats or reorders fails. */
    private static long mix(long sum, double x) {
        return sum * 31 + Double.doubleToRawLongBits(x);
    }

    @Test
    void batchReaderHoldsAboutOnePage() {
        StructType sparkSchema = new StructType().add("x", DataTypes.DoubleType);
        RowGroupBatchReader reader = new RowGroupBatchReader(
                new RowGroupPartition("file:" + file, 0, ROWS), sparkSchema, new Configuration());
        long checksum = 0;
        int nulls = 0;
        int rows = 0;
        try {
            while (reader.next()) {
                ColumnarBatch batch = reader.get();
                ColumnVector x = batch.column(0);
                for (int r = 0; r < batch.numRows(); r++) {
                    if (x.isNullAt(r)) {
                        nulls++;
                    } else {
                        checksum = mix(checksum, x.getDouble(r));
                    }
                }
                rows += batch.numRows();
            }
            assertEquals(ROWS, rows);
            assertEquals(expectedNulls, nulls);
            assertEquals(expectedChecksum, checksum, "every value, in order");
            assertEquals(chunk.getTotalSize(), reader.bytesRead(), "the whole chunk was read");
            long peak = reader.peakBufferBytes();
            // a compressed and a decompressed page, with slack for pages a little over their target size
            assertTrue(peak <= 4L * PAGE, "peak page buffers " + peak + " bytes for " + PAGE + "-byte pages");
            assertTrue(peak * 50 < chunk.getTotalSize(), "peak " + peak + " vs chunk " + chunk.getTotalSize());
        } finally {
            reader.close();
        }
    }

    /** The reader never asks the file for more than a page at once, whatever it reports about itself. */
    @Test
    void columnReaderAsksForAPageAtATime() throws IOException {
        Configuration conf = new Configuration();
        CodecFactory codecs = new CodecFactory(conf, 0);
        HadoopInputFile input = HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toString()), conf);
        Recording in = new Recording(input.newStream());
        OnHeapColumnVector vector = new OnHeapColumnVector(RowGroupBatchReader.BATCH_ROWS, DataTypes.DoubleType);
        long checksum = 0;
        int rows = 0;
        try (ColumnChunkReader reader = new ColumnChunkReader(
                ChunkStream.of(in, chunk.getStartingPos(), chunk.getTotalSize()), schema.getColumnDescription(new String[] {"x"}),
                chunk.getCodec(), chunk.getValueCount(), () -> codecs.getDecompressor(chunk.getCodec()),
                DataTypes.DoubleType, file.toString())) {
            int n;
            while ((n = reader.read(vector, 3000)) > 0) {   // not a multiple of anything in the file
                for (int r = 0; r < n; r++) {
                    if (!vector.isNullAt(r)) {
                        checksum = mix(checksum, vector.getDouble(r));
                    }
                }
                rows += n;
                vector.reset();
            }
            assertEquals(chunk.getTotalSize(), reader.bytesRead());
        } finally {
            vector.close();
            codecs.release();
        }
        assertEquals(ROWS, rows);
        assertEquals(expectedChecksum, checksum);
        assertTrue(in.largestRead <= 2L * PAGE, "largest single read " + in.largestRead + " bytes");
        assertEquals(chunk.getTotalSize(), in.bytesDelivered, "each byte of the chunk read once");
    }

    /** A stream that remembers the largest single read asked of it and the bytes it handed out. */
    private static final class Recording extends SeekableInputStream {
        private final SeekableInputStream in;
        long largestRead;
        long bytesDelivered;

        Recording(SeekableInputStream in) {
            this.in = in;
        }

        private void note(long requested, long delivered) {
            largestRead = Math.max(largestRead, requested);
            bytesDelivered += Math.max(0, delivered);
        }

        @Override
        public long getPos() throws IOException {
            return in.getPos();
        }

        @Override
        public void seek(long position) throws IOException {
            in.seek(position);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            note(1, b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n = in.read(bytes, offset, length);
            note(length, n);
            return n;
        }

        @Override
        public void readFully(byte[] bytes) throws IOException {
            in.readFully(bytes);
            note(bytes.length, bytes.length);
        }

        @Override
        public void readFully(byte[] bytes, int offset, int length) throws IOException {
            in.readFully(bytes, offset, length);
            note(length, length);
        }

        @Override
        public int read(ByteBuffer buffer) throws IOException {
            int requested = buffer.remaining();
            int n = in.read(buffer);
            note(requested, n);
            return n;
        }

        @Override
        public void readFully(ByteBuffer buffer) throws IOException {
            int requested = buffer.remaining();
            in.readFully(buffer);
            note(requested, requested);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
