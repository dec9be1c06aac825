package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.causeOf;
import static io.wavg.spark.source.SourceTestSupport.footer;
import static io.wavg.spark.source.SourceTestSupport.messages;
import static io.wavg.spark.source.SourceTestSupport.sortedRows;
import static io.wavg.spark.source.SourceTestSupport.spark;
import static io.wavg.spark.source.SourceTestSupport.wavg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import io.wavg.spark.source.parquet.UnsupportedParquetException;

/**
 * What the source cannot read, it says so: which file, which column, and that it is wavg_parquet. And
 * paths: a missing or empty one is explained, an explicitly named one is read whatever its name.
 */
class ErrorsTest {
    @TempDir
    static Path dir;

    private static final MessageType TWO_DOUBLES =
            MessageTypeParser.parseMessageType("message m { required double a; required double b; }");

    private static Path validFile(Path file) {
        SimpleGroupFactory factory = new SimpleGroupFactory(TWO_DOUBLES);
        List<Group> rows = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rows.add(factory.newGroup().append("a", i * 1.0).append("b", i * -2.0));
        }
        SourceTestSupport.writeGroups(file, TWO_DOUBLES, rows, b -> b
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED).withDictionaryEncoding(false));
        return file;
    }

    /** The failure of an action, with the messages of all its causes. */
    private static String failure(Executable action) {
        return messages(assertThrows(Exception.class, action));
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' missing from:\n" + message);
        }
    }

    @Test
    void nonParquetFilesAreNamed() throws IOException {
        Path notes = Files.createDirectories(dir.resolve("with-notes"));
        validFile(notes.resolve("good.parquet"));
        Files.writeString(notes.resolve("notes.txt"), "these are not the columns you are looking for\n");
        assertMentions(failure(() -> wavg(notes).collectAsList()), "wavg_parquet", "notes.txt");

        Path empty = Files.createDirectories(dir.resolve("with-empty-file"));
        Files.write(empty.resolve("zero.parquet"), new byte[0]);
        assertMentions(failure(() -> wavg(empty).collectAsList()), "wavg_parquet", "zero.parquet");

        Path truncated = Files.createDirectories(dir.resolve("truncated"));
        byte[] whole = Files.readAllBytes(validFile(dir.resolve("whole.parquet")));
        Files.write(truncated.resolve("half.parquet"), java.util.Arrays.copyOf(whole, whole.length / 2));
        assertMentions(failure(() -> wavg(truncated).collectAsList()), "wavg_parquet", "half.parquet");
    }

    @Test
    void nestedColumnsAreRefusedByName() {
        Path struct = dir.resolve("struct");
        spark().range(5).selectExpr("id", "named_struct('a', id, 'b', cast(id AS double)) AS st")
                .coalesce(1).write().parquet(struct.toString());
        assertUnsupported(struct, "st");

        Path list = dir.resolve("list");
        spark().range(5).selectExpr("id", "array(id, id + 1) AS arr").coalesce(1).write().parquet(list.toString());
        assertUnsupported(list, "arr");

        Path map = dir.resolve("map");
        spark().range(5).selectExpr("id", "map(id, 'x') AS m").coalesce(1).write().parquet(map.toString());
        assertUnsupported(map, "m");
    }

    @Test
    void int96TimestampsAreRefusedByName() {
        Path int96 = dir.resolve("int96");
        try (var conf = SourceTestSupport.withConf("spark.sql.parquet.outputTimestampType", "INT96")) {
            spark().range(5).selectExpr("id", "timestamp_seconds(id) AS ts").coalesce(1).write().parquet(int96.toString());
        }
        String message = assertUnsupported(int96, "ts");
        assertMentions(message.toLowerCase(), "int96");
    }

    @Test
    void unsupportedLogicalTypesAreRefusedByName() {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { required double a; optional int32 u (INTEGER(32,false)); }");
        Path file = dir.resolve("unsigned.parquet");
        SourceTestSupport.writeGroups(file, schema,
                List.of(new SimpleGroupFactory(schema).newGroup().append("a", 1.0).append("u", 7)), b -> {});
        assertUnsupported(file, "u");
    }

    private static String assertUnsupported(Path path, String column) {
        Exception error = assertThrows(Exception.class, () -> wavg(path).collectAsList());
        UnsupportedParquetException unsupported = causeOf(error, UnsupportedParquetException.class);
        assertNotNull(unsupported, messages(error));
        String file = SourceTestSupport.dataFiles(path).get(0).getFileName().toString();
        assertMentions(unsupported.getMessage(), "wavg_parquet", "'" + column + "'", file);
        return unsupported.getMessage();
    }

    @Test
    void aMissingPathIsExplained() {
        assertMentions(failure(() -> spark().read().format("wavg_parquet").load().collectAsList()),
                "wavg_parquet", "needs a path");
        assertMentions(failure(() -> spark().sql("CREATE OR REPLACE TEMPORARY VIEW no_path USING wavg_parquet")),
                "wavg_parquet", "needs a path");
        Path nowhere = dir.resolve("does-not-exist");
        assertMentions(failure(() -> wavg(nowhere).collectAsList()), "wavg_parquet", nowhere.toString());
        Path empty = dir.resolve("empty-dir");
        assertTrue(empty.toFile().mkdirs());
        assertMentions(failure(() -> wavg(empty).collectAsList()), "wavg_parquet", "no Parquet files", empty.toString());
    }

    /**
     * Bookkeeping files (_SUCCESS, .crc) are skipped inside a directory, but a path given explicitly is
     * read whatever its name starts with: a table in a directory named _staging reads as Spark's own
     * reader reads it (Spark refuses an explicitly named _file; this source reads it).
     */
    @Test
    void anExplicitPathIsReadWhateverItsName() throws IOException {
        Path hiddenDir = Files.createDirectories(dir.resolve("_staging"));
        validFile(hiddenDir.resolve("part-0.parquet"));
        Files.writeString(hiddenDir.resolve("_SUCCESS"), "");
        List<String> rows = sortedRows(SourceTestSupport.sparkParquet(hiddenDir));
        assertEquals(100, rows.size());
        assertEquals(rows, sortedRows(wavg(hiddenDir)));
        assertEquals(rows, sortedRows(wavg(validFile(dir.resolve("_explicit.parquet")))));
    }

    /** A column chunk with fewer values than its row group has rows: the column is named. */
    @Test
    void aShortColumnChunkNamesFileAndColumn() throws IOException {
        Path written = validFile(dir.resolve("short-source.parquet"));
        org.apache.parquet.hadoop.metadata.ParquetMetadata footer = footer(written);
        org.apache.parquet.hadoop.metadata.BlockMetaData block = footer.getBlocks().get(0);
        org.apache.parquet.hadoop.metadata.BlockMetaData longer = new org.apache.parquet.hadoop.metadata.BlockMetaData();
        longer.setRowCount(block.getRowCount() + 50);   // the chunks still hold 100 values each
        longer.setTotalByteSize(block.getTotalByteSize());
        block.getColumns().forEach(longer::addColumn);
        Path file = dir.resolve("short.parquet");
        SourceTestSupport.rewriteFooter(written, file, footer, List.of(longer));
        assertMentions(failure(() -> wavg(file).collectAsList()), "wavg_parquet", "'a'", "short.parquet");
    }

    /**
     * A damaged page fails the read of its column with the file and the column named; other columns of
     * the same row group, pruned from it, still read (so pruning really skips a column's bytes).
     */
    @Test
    void aDamagedPageNamesFileAndColumn() throws IOException {
        Path file = validFile(dir.resolve("damaged.parquet"));
        ColumnChunkMetaData b = footer(file).getBlocks().get(0).getColumns().get(1);
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            // a zero byte ends a Thrift struct at once: the page header lacks its required fields
            raw.seek(b.getStartingPos());
            raw.write(new byte[8]);
        }
        // the Hadoop checksum written beside the file would catch the damage first; files from other
        // writers have none
        Files.deleteIfExists(dir.resolve(".damaged.parquet.crc"));
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            a.add(SourceTestSupport.canonical(i * 1.0));
        }
        a.sort(null);
        assertEquals(a, sortedRows(wavg(file).select("a")));
        // the failure happens in a task: Spark wraps it, so its cause chain is searched
        String message = failure(() -> wavg(file).select("b").collectAsList());
        assertMentions(message, UnsupportedParquetException.class.getName(), "wavg_parquet", "'b'", "damaged.parquet");
    }
}
