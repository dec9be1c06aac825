package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.spark;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.wavg.spark.source.parquet.ChunkStream;
import io.wavg.spark.source.parquet.ColumnChunkReader;
import io.wavg.spark.source.parquet.StreamedDoubles;

/**
 * The page route the pushdown feeds the kernel from: runs of PLAIN doubles handed out where they lie
 * in the decompressed page, for whole pages without NULLs, and the ordinary decoding for the rest,
 * interleaved on one chunk without losing, repeating or reordering a value.
 */
class PageRunsTest {
    @TempDir
    static Path dir;

    /** Spark writes nullable columns, so NULL-free pages carry definition levels that say "all present". */
    @Test
    void sparkWrittenNullableDoublesComeInPageLongRuns() throws IOException {
        Path out = dir.resolve("spark-written");
        spark().range(0, 300_000, 1, 1).selectExpr("IF(id < 0, NULL, rand(5) * 100) AS w").write().parquet(out.toString());
        Path file = SourceTestSupport.dataFiles(out).get(0);
        ParquetMetadata footer = SourceTestSupport.footer(file);
        MessageType schema = footer.getFileMetaData().getSchema();
        assertEquals(1, schema.getColumnDescription(new String[] {"w"}).getMaxDefinitionLevel(), "nullable");
        List<Double> expected = new ArrayList<>();
        for (Row row : spark().read().parquet(file.toString()).collectAsList()) {
            expected.add(row.getDouble(0));
        }
        List<Double> read = new ArrayList<>();
        int runs = 0;
        for (int block = 0; block < footer.getBlocks().size(); block++) {
            ColumnChunkMetaData chunk = footer.getBlocks().get(block).getColumns().get(0);
            try (ColumnChunkReader reader = open(file, schema, chunk)) {
                int ahead;
                while ((ahead = reader.plainDoublesAhead()) > 0) {
                    ByteBuffer run = reader.takePlainDoubles(ahead);
                    addRun(read, run, ahead);
                    runs++;
                }
                assertEquals(0, reader.read(new OnHeapColumnVector(1, DataTypes.DoubleType), 1), "nothing left");
            }
        }
        assertEquals(expected, read, "every value, in order, through runs alone");
        // and through vectors, in batches that span several pieces and a page's end
        List<Double> decoded = new ArrayList<>();
        OnHeapColumnVector vector = new OnHeapColumnVector(4096, DataTypes.DoubleType);
        try {
            for (int block = 0; block < footer.getBlocks().size(); block++) {
                ColumnChunkMetaData chunk = footer.getBlocks().get(block).getColumns().get(0);
                try (ColumnChunkReader reader = open(file, schema, chunk)) {
                    int n;
                    while ((n = reader.read(vector, 4096)) > 0) {
                        addVector(decoded, vector, n);
                        vector.reset();
                    }
                }
            }
        } finally {
            vector.close();
        }
        assertEquals(expected, decoded, "every value, in order, through vectors");
        // random doubles do not compress: snappy stores them as literals, read in place a piece at a time,
        // cut where a literal or a read ends
        assertTrue(read.size() / runs >= StreamedDoubles.PIECE / 8 / 4, runs + " runs: about a piece each");
    }

    /**
     * Pages with NULLs have no run ahead and are decoded into vectors; NULL-free pages of the same
     * chunk still come as runs. v1 and v2 pages, dictionary off, small pages.
     */
    @ParameterizedTest
    @EnumSource(WriterVersion.class)
    void pagesWithNullsTakeTheVectorRouteInBetweenRuns(WriterVersion version) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            Group row = factory.newGroup();
            // NULLs only in the middle third, so pages before and after have none
            Double x = i > 33_000 && i < 66_000 && i % 97 == 0 ? null : i * 0.5 - 7;
            if (x != null) {
                row.append("x", x);
            }
            rows.add(row);
            expected.add(x);
        }
        Path file = dir.resolve("nulls-" + version + ".parquet");
        SourceTestSupport.writeGroups(file, schema, rows, b -> b.withWriterVersion(version)
                .withCompressionCodec(CompressionCodecName.SNAPPY).withDictionaryEncoding(false)
                .withPageSize(16 * 1024).withRowGroupSize(1L << 30));
        ParquetMetadata footer = SourceTestSupport.footer(file);
        ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
        List<Double> read = new ArrayList<>();
        int runValues = 0;
        OnHeapColumnVector vector = new OnHeapColumnVector(1000, DataTypes.DoubleType);
        try (ColumnChunkReader reader = open(file, footer.getFileMetaData().getSchema(), chunk)) {
            while (read.size() < expected.size()) {
                int ahead = reader.plainDoublesAhead();
                if (ahead > 0) {
                    int take = Math.min(ahead, 777); // runs need not be whole pages
                    ByteBuffer run = reader.takePlainDoubles(take);
                    addRun(read, run, take);
                    runValues += take;
                } else {
                    vector.reset();
                    int n = reader.read(vector, 1000);
                    assertTrue(n > 0, "values left after " + read.size());
                    for (int i = 0; i < n; i++) {
                        read.add(vector.isNullAt(i) ? null : vector.getDouble(i));
                    }
                }
            }
        } finally {
            vector.close();
        }
        assertEquals(expected, read, "every value and NULL, in order");
        assertTrue(runValues > 50_000, "NULL-free pages came as runs: " + runValues);
        assertTrue(runValues < 90_000, "pages with NULLs did not: " + runValues);
    }

    /**
     * A snappy page that starts with a long literal is read in place until snappy's first copy element,
     * then read again and decompressed, resuming after the last double handed out; through runs and
     * through vectors, v1 pages (whose levels lie in the literal) and v2.
     */
    @ParameterizedTest
    @EnumSource(WriterVersion.class)
    void pagesThatTurnCompressibleAreDecompressedWhereTheLiteralsEnd(WriterVersion version) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        java.util.Random random = new java.util.Random(11);
        List<Group> rows = new ArrayList<>();
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            // each stretch of 32,768 values opens with 12,000 random ones (96 KB, more than the window
            // starts with, in literals), then repeats
            double x = i % 32_768 < 12_000 ? random.nextDouble() : i % 8;
            rows.add(factory.newGroup().append("x", x));
            expected.add(x);
        }
        Path file = dir.resolve("turning-" + version + ".parquet");
        SourceTestSupport.writeGroups(file, schema, rows, b -> b.withWriterVersion(version)
                .withCompressionCodec(CompressionCodecName.SNAPPY).withDictionaryEncoding(false)
                .withPageSize(256 * 1024).withRowGroupSize(1L << 30));
        ParquetMetadata footer = SourceTestSupport.footer(file);
        ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
        for (boolean byRuns : new boolean[] {true, false}) {
            List<Double> read = new ArrayList<>();
            OnHeapColumnVector vector = new OnHeapColumnVector(1000, DataTypes.DoubleType);
            try (ColumnChunkReader reader = open(file, footer.getFileMetaData().getSchema(), chunk)) {
                while (read.size() < expected.size()) {
                    int ahead = byRuns ? reader.plainDoublesAhead() : 0;
                    if (ahead > 0) {
                        ByteBuffer run = reader.takePlainDoubles(ahead);
                        addRun(read, run, ahead);
                    } else {
                        vector.reset();
                        int n = reader.read(vector, 1000);
                        assertTrue(n > 0, "values left after " + read.size());
                        addVector(read, vector, n);
                    }
                }
                assertTrue(reader.bytesRead() > chunk.getTotalSize(), "some page began in place, then was read "
                        + "again to decompress: " + reader.bytesRead() + " bytes read of " + chunk.getTotalSize());
            } finally {
                vector.close();
            }
            assertEquals(expected, read, "every value, in order, " + (byRuns ? "through runs" : "through vectors"));
        }
    }

    /**
     * One snappy page of 8,292 random doubles after 7 bytes of levels: snappy's 64 KB literal ends inside
     * the 8,192nd double, 100 doubles before the page's end. Gathering across that split must stop at
     * the page's end, whether the values go out as runs or, in one call, into a vector.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aDoubleSplitNearThePageEndIsJoinedFromThatPageOnly(boolean byRuns) throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        java.util.Random random = new java.util.Random(3);
        List<Group> rows = new ArrayList<>();
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < 8_292; i++) {
            double x = random.nextDouble();
            rows.add(factory.newGroup().append("x", x));
            expected.add(x);
        }
        Path file = dir.resolve("split-near-end-" + byRuns + ".parquet");
        SourceTestSupport.writeGroups(file, schema, rows, b -> b.withWriterVersion(WriterVersion.PARQUET_1_0)
                .withCompressionCodec(CompressionCodecName.SNAPPY).withDictionaryEncoding(false)
                .withPageSize(1 << 20).withRowGroupSize(1L << 30));
        ParquetMetadata footer = SourceTestSupport.footer(file);
        ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
        List<Double> read = new ArrayList<>();
        OnHeapColumnVector vector = new OnHeapColumnVector(8_292, DataTypes.DoubleType);
        try (ColumnChunkReader reader = open(file, footer.getFileMetaData().getSchema(), chunk)) {
            if (byRuns) {
                int ahead;
                while ((ahead = reader.plainDoublesAhead()) > 0) {
                    ByteBuffer run = reader.takePlainDoubles(ahead);
                    addRun(read, run, ahead);
                }
            } else {
                int n = reader.read(vector, 8_292);
                addVector(read, vector, n);
            }
            assertEquals(chunk.getTotalSize(), reader.bytesRead(), "read in place, once");
        } finally {
            vector.close();
        }
        assertEquals(expected, read);
    }

    private static void addRun(List<Double> read, ByteBuffer run, int n) {
        for (int i = 0; i < n; i++) {
            read.add(run.getDouble(8 * i));
        }
    }

    /** The vector's first n values; none may be NULL. */
    private static void addVector(List<Double> read, OnHeapColumnVector vector, int n) {
        for (int i = 0; i < n; i++) {
            read.add(vector.getDouble(i));
        }
    }

    private static ColumnChunkReader open(Path file, MessageType schema, ColumnChunkMetaData chunk) throws IOException {
        Configuration conf = new Configuration();
        String column = chunk.getPath().toDotString();
        return new ColumnChunkReader(ChunkStream.open(new org.apache.hadoop.fs.Path(file.toUri()), conf,
                chunk.getStartingPos(), chunk.getTotalSize()), schema.getColumnDescription(new String[] {column}),
                chunk.getCodec(), chunk.getValueCount(), () -> new CodecFactory(conf, 0).getDecompressor(chunk.getCodec()),
                DataTypes.DoubleType, file.toString());
    }
}
