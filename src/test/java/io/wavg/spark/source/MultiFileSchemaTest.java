package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.canonical;
import static io.wavg.spark.source.SourceTestSupport.messages;
import static io.wavg.spark.source.SourceTestSupport.orderedRows;
import static io.wavg.spark.source.SourceTestSupport.scanOf;
import static io.wavg.spark.source.SourceTestSupport.sortedRows;
import static io.wavg.spark.source.SourceTestSupport.spark;
import static io.wavg.spark.source.SourceTestSupport.wavg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many files under one path with compatible schemas: a column a file lacks reads as NULL (and a
 * filter on it rules the file's row groups out); a column whose type differs between files is an
 * error naming the file and the column.
 */
class MultiFileSchemaTest {
    @TempDir
    static Path dir;

    private static Path mixed;
    /** (k, w, v, extra) of every row written, NULL where the file lacks the column. */
    private static final List<Object[]> written = new ArrayList<>();

    @BeforeAll
    static void writeFiles() throws IOException {
        mixed = Files.createDirectories(dir.resolve("mixed"));
        Random random = new Random(5);
        // a: v always positive, never NULL
        write("a.parquet", "message a { required int32 k; optional double w; optional double v; }", 0, random,
                n -> 1 + random.nextDouble(), n -> null);
        // b: v negative or NULL, plus a column the others lack
        write("b.parquet", "message b { required int32 k; optional double w; optional double v; optional binary extra (STRING); }",
                1000, random, n -> n % 10 == 0 ? null : -1 - random.nextDouble(), n -> n % 7 == 0 ? null : "e" + n);
        // c: no v at all, and k optional where the others have it required (still compatible)
        write("c.parquet", "message c { optional int32 k; optional double w; }", 2000, random, n -> null, n -> null);
    }

    private static void write(String name, String schemaText, int first, Random random,
                              java.util.function.IntFunction<Double> v, java.util.function.IntFunction<String> extra) {
        MessageType schema = MessageTypeParser.parseMessageType(schemaText);
        SimpleGroupFactory factory = new SimpleGroupFactory(schema);
        List<Group> rows = new ArrayList<>();
        for (int n = first; n < first + 1000; n++) {
            Group g = factory.newGroup().append("k", n % 4);
            Double w = n % 13 == 0 ? null : random.nextDouble() * 8;
            if (w != null) {
                g.append("w", w);
            }
            Double value = v.apply(n);
            if (value != null) {
                g.append("v", value);
            }
            String e = extra.apply(n);
            if (e != null) {
                g.append("extra", e);
            }
            rows.add(g);
            written.add(new Object[] {n % 4, w, value, e});
        }
        SourceTestSupport.writeGroups(mixed.resolve(name), schema, rows, b -> b.withRowGroupRowCountLimit(500));
    }

    private static List<String> expected(Predicate<Object[]> where) {
        List<String> out = new ArrayList<>();
        for (Object[] row : written) {
            if (where.test(row)) {
                out.add(canonical(RowFactory.create(row)));
            }
        }
        out.sort(null);
        return out;
    }

    @Test
    void missingColumnsReadAsNull() {
        Dataset<Row> ours = wavg(mixed);
        assertEquals(new StructType().add("k", DataTypes.IntegerType).add("w", DataTypes.DoubleType)
                .add("v", DataTypes.DoubleType).add("extra", DataTypes.StringType), ours.schema());
        assertEquals(expected(row -> true), sortedRows(ours));
        assertEquals(6, ours.rdd().getNumPartitions(), "two row groups in each of three files");
        // Spark's reader, merging schemas, agrees
        assertEquals(expected(row -> true), sortedRows(spark().read().option("mergeSchema", "true")
                .parquet(mixed.toString()).select("k", "w", "v", "extra")));
    }

    @Test
    void filtersOnColumnsSomeFilesLack() {
        check("v IS NULL", row -> row[2] == null, 4);                 // a has no NULL v: its 2 groups skipped
        // a floating-point lower bound is never pushed (NaN), but Spark's inferred IS NOT NULL rules c out
        check("v > 0", row -> row[2] != null && (Double) row[2] > 0, 4);
        check("v < -1.5", row -> row[2] != null && (Double) row[2] < -1.5, 2);   // a's v >= 1, c has none
        check("v < 0 AND k = 1", row -> row[2] != null && (Double) row[2] < 0 && (Integer) row[0] == 1, 2);
        check("extra IS NOT NULL", row -> row[3] != null, 2);         // only b has the column
        check("extra IS NULL OR v > 1.5", row -> row[3] == null || row[2] != null && (Double) row[2] > 1.5, 6);
    }

    private static void check(String condition, Predicate<Object[]> where, int rowGroupsRead) {
        Dataset<Row> ours = wavg(mixed).where(condition);
        assertEquals(expected(where), sortedRows(ours), condition);
        assertEquals(rowGroupsRead, scanOf(ours).planInputPartitions().length, condition + ": row groups read");
    }

    @Test
    void weightedAverageOverFilesWithAndWithoutTheColumn() {
        spark().sql("CREATE OR REPLACE TEMPORARY VIEW mixed_ours USING wavg_parquet OPTIONS (path '" + mixed + "')");
        spark().read().option("mergeSchema", "true").parquet(mixed.toString()).createOrReplaceTempView("mixed_theirs");
        try {
            for (String query : List.of("SELECT weighted_avg(v, w), count(v), count(*) FROM {t}",
                    "SELECT k, weighted_avg(v, w), weighted_avg(w, v) FROM {t} GROUP BY k ORDER BY k")) {
                assertEquals(orderedRows(spark().sql(query.replace("{t}", "mixed_theirs"))),
                        orderedRows(spark().sql(query.replace("{t}", "mixed_ours"))), query);
            }
        } finally {
            spark().catalog().dropTempView("mixed_ours");
            spark().catalog().dropTempView("mixed_theirs");
        }
    }

    @Test
    void conflictingTypesNameTheFileAndTheColumn() throws IOException {
        Path conflict = Files.createDirectories(dir.resolve("conflict"));
        MessageType asDouble = MessageTypeParser.parseMessageType("message m { required int32 k; optional double v; }");
        MessageType asLong = MessageTypeParser.parseMessageType("message m { required int32 k; optional int64 v; }");
        SourceTestSupport.writeGroups(conflict.resolve("part-1.parquet"), asDouble,
                List.of(new SimpleGroupFactory(asDouble).newGroup().append("k", 1).append("v", 2.5)), b -> {});
        SourceTestSupport.writeGroups(conflict.resolve("part-2.parquet"), asLong,
                List.of(new SimpleGroupFactory(asLong).newGroup().append("k", 2).append("v", 7L)), b -> {});
        Exception error = assertThrows(Exception.class, () -> wavg(conflict).collectAsList());
        String message = messages(error);
        assertTrue(message.contains("part-2.parquet"), message);
        assertTrue(message.contains("'v'"), message);
        assertTrue(message.contains("wavg_parquet"), message);
        assertTrue(message.contains("BIGINT") && message.contains("DOUBLE"), message);
    }
}
