package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.assertSameRows;
import static io.wavg.spark.source.SourceTestSupport.footer;
import static io.wavg.spark.source.SourceTestSupport.scanOf;
import static io.wavg.spark.source.SourceTestSupport.sortedRows;
import static io.wavg.spark.source.SourceTestSupport.wavg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.statistics.DoubleStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Planning: one input partition per row group, empty row groups and empty files left out, row groups
 * skipped by their statistics (never wrongly: NaN, NULL and absent statistics keep a row group), and
 * column pruning down to the columns a query needs.
 */
class RowGroupPlanningTest {
    @TempDir
    static Path dir;

    /** Sorted ids, so row group g holds exactly ids [1000 g, 1000 g + 999]: each has its own range. */
    static final int ROWS = 12_000;
    static final int GROUP_ROWS = 1_000;
    static final int GROUPS = ROWS / GROUP_ROWS;

    static final MessageType SORTED = MessageTypeParser.parseMessageType("""
            message sorted {
              required int64 id;
              optional double x;
              optional float fx;
              optional int32 i;
              optional binary s (STRING);
            }
            """);

    private static Path sorted;

    @BeforeAll
    static void writeSorted() {
        sorted = dir.resolve("sorted.parquet");
        SimpleGroupFactory factory = new SimpleGroupFactory(SORTED);
        List<Group> rows = new ArrayList<>();
        for (int id = 0; id < ROWS; id++) {
            Group g = factory.newGroup().append("id", (long) id);
            // x: id / 2, NULL from 11000 on (group 11 is all NULL), NaN at multiples of 97 in groups
            // 0 and 7: parquet-mr then writes no min/max for those chunks, so they can never be skipped
            if (id < 11_000) {
                boolean nan = id % 97 == 0 && (id < 1000 || id / 1000 == 7);
                g.append("x", nan ? Double.NaN : id * 0.5);
                g.append("fx", nan ? Float.NaN : id * 0.5f);
            }
            g.append("i", 6000 - id);   // descending
            g.append("s", "s" + id);
            rows.add(g);
        }
        SourceTestSupport.writeGroups(sorted, SORTED, rows, b -> b
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withDictionaryEncoding(false)
                .withPageSize(4096)
                .withRowGroupRowCountLimit(GROUP_ROWS));
        assertEquals(GROUPS, footer(sorted).getBlocks().size());
    }

    /**
     * Each filter's result equals Spark's reader; the number of row groups read is what the sorted
     * ranges and the statistics allow. Floating-point lower bounds are never pushed (NaN sorts above
     * every number and Parquet statistics leave it out), but Spark's inferred IS NOT NULL still is.
     */
    @ParameterizedTest(name = "{0} -> {1} row groups")
    @CsvSource(delimiter = ';', value = {
            "id < 2500; 3",
            "id <= 2000; 3",
            "id = 4321; 1",
            "id > 10500; 2",
            "id >= 11000; 1",
            "id > 3000 AND id < 3100; 1",
            "id < 100 OR id > 11900; 2",
            "id < 0; 0",
            "id IS NULL; 0",
            "id IS NOT NULL; 12",
            "i > 5500; 1",
            "i = 1234; 1",
            "i <= -5000; 1",
            "i >= 0 AND i < 1000; 2",
            "x IS NULL; 1",
            "x IS NOT NULL; 11",
            // groups 0 and 7 (NaN, no min/max) are always read
            "x < 100; 2",
            "x <= 500; 3",
            "x = 2500.5; 3",
            "x < -1; 2",
            // NaN > every number: the NaN rows come back (and see nanLeftOutOfStatisticsStillMatchesLowerBounds)
            "x > 1e300; 11",
            "x >= 4000; 11",
            "x < 10 OR x > 1e300; 12",
            "x IS NULL OR id < 10; 2",
            "fx < 100; 2",
            "fx > 1e30; 11",
            "s = 's5'; 12",
            "NOT (id < 11500); 1",   // Spark simplifies it to id >= 11500
            "isnan(x); -1",          // -1: the result is checked, the row groups read are not
    })
    void filtersSkipRowGroupsAndMatchSpark(String condition, int rowGroupsRead) {
        Dataset<Row> ours = wavg(sorted).where(condition);
        assertSameRows(SourceTestSupport.sparkParquet(sorted).where(condition), ours, condition);
        ParquetScan scan = scanOf(ours);
        int planned = scan.planInputPartitions().length;
        if (rowGroupsRead >= 0) {
            assertEquals(rowGroupsRead, planned, condition + ": row groups read");
        }
        assertEquals(GROUPS, planned + scan.skippedRowGroups(), condition + ": every row group planned or skipped");
    }

    @Test
    void onePartitionPerRowGroup() {
        assertEquals(GROUPS, wavg(sorted).rdd().getNumPartitions());
        Dataset<Row> some = wavg(sorted).where("id >= 3000 AND id < 6000");
        assertEquals(3, some.rdd().getNumPartitions());
        assertEquals(3000, some.count());
    }

    /**
     * Writers differ on NaN: parquet-mr 1.17 writes no min/max for a chunk holding NaN, but Arrow and
     * older parquet-mr leave NaN out of min/max. Here a chunk holding NaN claims max 999.5; Spark orders
     * NaN above every number, so x > 1e300 must still return its NaN rows, and upper bounds still skip.
     */
    @Test
    void nanLeftOutOfStatisticsStillMatchesLowerBounds() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { required int64 id; optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        double[] x = new double[3000];
        for (int id = 0; id < x.length; id++) {
            x[id] = id / 1000 == 1 && id % 50 == 7 ? Double.NaN : id * 0.5;
            rows.add(factory.newGroup().append("id", (long) id).append("x", x[id]));
        }
        Path written = dir.resolve("nan-written.parquet");
        SourceTestSupport.writeGroups(written, schema, rows, b -> b.withRowGroupRowCountLimit(1000));
        ParquetMetadata footer = footer(written);
        List<BlockMetaData> blocks = new ArrayList<>(footer.getBlocks());
        BlockMetaData withNaN = blocks.get(1);
        BlockMetaData relabelled = new BlockMetaData();
        relabelled.setRowCount(withNaN.getRowCount());
        relabelled.setTotalByteSize(withNaN.getTotalByteSize());
        for (ColumnChunkMetaData c : withNaN.getColumns()) {
            Statistics<?> stats = c.getStatistics();
            if (c.getPath().toDotString().equals("x")) {
                DoubleStatistics numbersOnly = (DoubleStatistics) Statistics.createStats(c.getPrimitiveType());
                numbersOnly.updateStats(500.0);
                numbersOnly.updateStats(999.5);
                numbersOnly.setNumNulls(0);
                stats = numbersOnly;
            }
            relabelled.addColumn(ColumnChunkMetaData.get(c.getPath(), c.getPrimitiveType(), c.getCodec(),
                    c.getEncodingStats(), c.getEncodings(), stats, c.getFirstDataPageOffset(),
                    c.getDictionaryPageOffset(), c.getValueCount(), c.getTotalSize(), c.getTotalUncompressedSize()));
        }
        blocks.set(1, relabelled);
        Path file = dir.resolve("nan-outside-statistics.parquet");
        SourceTestSupport.rewriteFooter(written, file, footer, blocks);
        Statistics<?> claimed = footer(file).getBlocks().get(1).getColumns().get(1).getStatistics();
        assertTrue(claimed.hasNonNullValue() && claimed.genericGetMax().equals(999.5), claimed.toString());

        // Spark semantics: NaN equals NaN and is greater than every number
        java.util.Map<String, java.util.function.IntPredicate> conditions = new java.util.LinkedHashMap<>();
        conditions.put("x > 1e300", id -> Double.isNaN(x[id]) || x[id] > 1e300);
        conditions.put("x > 999.5", id -> Double.isNaN(x[id]) || x[id] > 999.5);
        conditions.put("x >= 990", id -> Double.isNaN(x[id]) || x[id] >= 990);
        conditions.put("NOT (x <= 1e300)", id -> Double.isNaN(x[id]));
        conditions.put("x < 500", id -> x[id] < 500);
        conditions.put("x <= 500", id -> x[id] <= 500);
        conditions.put("x = 750", id -> x[id] == 750);
        conditions.put("x < 600 OR id = 1007", id -> x[id] < 600 || id == 1007);
        for (var condition : conditions.entrySet()) {
            List<String> want = new ArrayList<>();
            for (int id = 0; id < x.length; id++) {
                if (condition.getValue().test(id)) {
                    want.add("Long:" + id);
                }
            }
            want.sort(null);
            assertEquals(want, sortedRows(wavg(file).where(condition.getKey()).select("id")), condition.getKey());
        }
        // weighted_avg over the same file sees the NaN values, whatever the statistics claim
        assertEquals(List.of(SourceTestSupport.canonical(Double.NaN)),
                sortedRows(wavg(file).selectExpr("weighted_avg(x, id)")));
        assertEquals(List.of(SourceTestSupport.canonical(Double.NaN)),
                sortedRows(wavg(file).where("id >= 1000 AND id < 2000").selectExpr("weighted_avg(x, 1.0)")));
        assertEquals(1, scanOf(wavg(file).where("x < 500")).planInputPartitions().length);
        assertEquals(2, scanOf(wavg(file).where("x <= 500")).planInputPartitions().length);
        assertEquals(3, scanOf(wavg(file).where("x > 1e300")).planInputPartitions().length);
    }

    // ---- column pruning ------------------------------------------------------------------------------

    @Test
    void readsOnlyTheSelectedColumns() {
        Dataset<Row> x = wavg(sorted).select("x");
        assertEquals(List.of("x"), Arrays.asList(scanOf(x).readSchema().fieldNames()));
        assertSameRows(SourceTestSupport.sparkParquet(sorted).select("x"), x, "select x");

        Dataset<Row> filtered = wavg(sorted).where("i > 5000").select("s");
        assertEquals(Set.of("s", "i"), new TreeSet<>(Arrays.asList(scanOf(filtered).readSchema().fieldNames())));
        assertSameRows(SourceTestSupport.sparkParquet(sorted).where("i > 5000").select("s"), filtered, "select s where i");

        Dataset<Row> count = wavg(sorted).selectExpr("count(*)");
        assertEquals(List.of("Long:" + ROWS), sortedRows(count));
        assertTrue(count.queryExecution().executedPlan().toString().contains("[COUNT(*)] from footers"),
                "count(*) reads no page: " + count.queryExecution().executedPlan());
    }

    /** Pruning at the byte level: a reader of one column reads that column chunk's bytes and no others. */
    @Test
    void prunedReaderTouchesOnlyItsColumnChunk() {
        BlockMetaData block = footer(sorted).getBlocks().get(7);
        ColumnChunkMetaData x = block.getColumns().stream()
                .filter(c -> c.getPath().toDotString().equals("x")).findFirst().orElseThrow();
        StructType schema = new StructType().add("x", DataTypes.DoubleType);
        RowGroupPartition partition = new RowGroupPartition("file:" + sorted, 7, block.getRowCount());
        long rows = 0;
        RowGroupBatchReader reader = new RowGroupBatchReader(partition, schema, new Configuration());
        try {
            while (reader.next()) {
                for (int r = 0; r < reader.get().numRows(); r++) {
                    long id = 7 * GROUP_ROWS + rows + r;
                    double want = id % 97 == 0 ? Double.NaN : id * 0.5;   // group 7 holds NaN
                    assertEquals(want, reader.get().column(0).getDouble(r), "x of id " + id);
                }
                rows += reader.get().numRows();
            }
            assertEquals(GROUP_ROWS, rows);
            assertEquals(x.getTotalSize(), reader.bytesRead(), "exactly the x chunk, page headers included");
            assertTrue(reader.bytesRead() * 3 < block.getCompressedSize(), "far less than the row group");
        } finally {
            reader.close();
        }
    }

    // ---- empty row groups and empty files ------------------------------------------------------------

    @Test
    void emptyRowGroupsAndEmptyFilesAreLeftOut() throws IOException {
        MessageType schema = MessageTypeParser.parseMessageType("message m { required int64 id; optional double x; }");
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (long id = 0; id < 300; id++) {
            rows.add(factory.newGroup().append("id", id).append("x", id * 1.5));
            expected.add("Long:" + id + " | " + SourceTestSupport.canonical(id * 1.5));
        }
        expected.sort(null);
        Path table = Files.createDirectories(dir.resolve("with-empty"));
        Path plain = dir.resolve("three-groups.parquet");
        SourceTestSupport.writeGroups(plain, schema, rows, b -> b.withRowGroupRowCountLimit(100));
        // parquet-mr refuses to write a row group of 0 rows, other writers do not: add some to the footer
        withEmptyRowGroups(plain, table.resolve("a.parquet"));
        SourceTestSupport.writeGroups(table.resolve("b.parquet"), schema, List.of(), b -> {});   // no row group at all

        ParquetMetadata a = footer(table.resolve("a.parquet"));
        assertEquals(List.of(0L, 100L, 0L, 100L, 100L, 0L), a.getBlocks().stream().map(BlockMetaData::getRowCount).toList());
        assertEquals(0, footer(table.resolve("b.parquet")).getBlocks().size());

        Dataset<Row> ours = wavg(table);
        assertEquals(expected, sortedRows(ours));
        assertEquals(expected, sortedRows(SourceTestSupport.sparkParquet(table)), "Spark's reader agrees");
        ParquetScan scan = scanOf(ours);
        assertEquals(3, scan.planInputPartitions().length, "the three row groups with rows");
        assertEquals(0, scan.skippedRowGroups(), "empty row groups are not counted as skipped by filters");
        assertEquals(3, ours.rdd().getNumPartitions());

        Dataset<Row> none = wavg(table.resolve("b.parquet"));
        assertEquals(0, none.count());
        assertEquals(0, scanOf(none).planInputPartitions().length);
    }

    /** A copy of a file whose footer lists row groups of 0 rows before, between and after the real ones. */
    private static void withEmptyRowGroups(Path source, Path target) throws IOException {
        ParquetMetadata footer = footer(source);
        List<BlockMetaData> real = footer.getBlocks();
        BlockMetaData last = real.get(real.size() - 1);
        List<BlockMetaData> blocks = new ArrayList<>(List.of(empty(real.get(0), real.get(0).getStartingPos()),
                real.get(0), empty(real.get(1), real.get(1).getStartingPos())));
        blocks.addAll(real.subList(1, real.size()));
        blocks.add(empty(last, last.getStartingPos() + last.getCompressedSize()));
        SourceTestSupport.rewriteFooter(source, target, footer, blocks);
    }

    /** A row group of 0 rows with the columns of {@code like}, each chunk empty and at {@code position}. */
    private static BlockMetaData empty(BlockMetaData like, long position) {
        BlockMetaData empty = new BlockMetaData();
        empty.setRowCount(0);
        empty.setTotalByteSize(0);
        for (ColumnChunkMetaData column : like.getColumns()) {
            empty.addColumn(ColumnChunkMetaData.get(column.getPath(), column.getPrimitiveType(), column.getCodec(),
                    null, column.getEncodings(), Statistics.createStats(column.getPrimitiveType()),
                    position, 0, 0, 0, 0));
        }
        return empty;
    }
}
