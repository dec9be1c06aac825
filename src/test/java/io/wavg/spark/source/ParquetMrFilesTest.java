package io.wavg.spark.source;

import static io.wavg.spark.source.SourceTestSupport.canonical;
import static io.wavg.spark.source.SourceTestSupport.sortedRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files written by parquet-mr directly, in every codec, with data pages v1 and v2, dictionary
 * encoding on and off (on with a small dictionary page, so high-cardinality chunks fall back to plain
 * pages midway), small pages and fixed-size row groups. Every value read must be exactly the value
 * written, and Spark's own reader must agree.
 */
class ParquetMrFilesTest {
    @TempDir
    static Path dir;

    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message written_by_parquet_mr {
              required int32 id;
              optional int64 l;
              optional float f;
              required double d;
              optional double dn;
              optional int32 dec9 (DECIMAL(9,2));
              optional int64 dec18 (DECIMAL(18,4));
              optional fixed_len_byte_array(12) dec28 (DECIMAL(28,6));
              optional fixed_len_byte_array(5) dec10 (DECIMAL(10,3));
              optional binary decb (DECIMAL(20,2));
              optional binary s (STRING);
              required binary rs (STRING);
              optional boolean b;
              required boolean rb;
              required int32 few;
              optional binary fews (STRING);
              optional int32 tiny (INTEGER(8,true));
              optional int32 small (INTEGER(16,true));
              optional int32 day (DATE);
              optional int64 ts (TIMESTAMP(MICROS,true));
              optional binary raw;
            }
            """);

    /** The Spark schema the source must report: every column nullable, as Spark's reader has it. */
    static final StructType SPARK_SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType).add("l", DataTypes.LongType).add("f", DataTypes.FloatType)
            .add("d", DataTypes.DoubleType).add("dn", DataTypes.DoubleType)
            .add("dec9", DataTypes.createDecimalType(9, 2)).add("dec18", DataTypes.createDecimalType(18, 4))
            .add("dec28", DataTypes.createDecimalType(28, 6)).add("dec10", DataTypes.createDecimalType(10, 3))
            .add("decb", DataTypes.createDecimalType(20, 2)).add("s", DataTypes.StringType)
            .add("rs", DataTypes.StringType).add("b", DataTypes.BooleanType).add("rb", DataTypes.BooleanType)
            .add("few", DataTypes.IntegerType).add("fews", DataTypes.StringType).add("tiny", DataTypes.ByteType)
            .add("small", DataTypes.ShortType).add("day", DataTypes.DateType).add("ts", DataTypes.TimestampType)
            .add("raw", DataTypes.BinaryType);

    static final int ROWS = 6_000;
    static final int ROW_GROUP_ROWS = 1_500;

    private static List<Group> groups;
    private static List<String> expected;

    @BeforeAll
    static void generate() {
        Random random = new Random(77);
        SimpleGroupFactory factory = new SimpleGroupFactory(SCHEMA);
        double[] doubles = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, Double.MAX_VALUE, -Double.MIN_NORMAL};
        float[] floats = {Float.NaN, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        long[] longs = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1};
        String[] colours = {"red", "green", "blue", "ünïcödé"};
        groups = new ArrayList<>(ROWS);
        expected = new ArrayList<>(ROWS);
        for (int n = 0; n < ROWS; n++) {
            Group g = factory.newGroup();
            Object[] row = new Object[SPARK_SCHEMA.size()];
            int c = 0;
            g.append("id", n);
            row[c++] = n;
            if (n % 7 != 3) {
                long l = n < longs.length ? longs[n] : random.nextLong();
                g.append("l", l);
                row[c] = l;
            }
            c++;
            if (n % 5 != 1) {
                float f = n < floats.length * 5 && n % 5 == 0 ? floats[n / 5] : (float) random.nextGaussian();
                g.append("f", f);
                row[c] = f;
            }
            c++;
            double d = n < doubles.length ? doubles[n] : random.nextGaussian() * Math.scalb(1.0, random.nextInt(200) - 100);
            g.append("d", d);
            row[c++] = d;
            if (random.nextInt(3) != 0) {
                g.append("dn", n * 0.25);
                row[c] = n * 0.25;
            }
            c++;
            if (random.nextInt(9) != 0) {
                int unscaled = random.nextInt(1_999_999_999) - 999_999_999;
                g.append("dec9", unscaled);
                row[c] = BigDecimal.valueOf(unscaled, 2);
            }
            c++;
            if (random.nextInt(9) != 0) {
                long unscaled = random.nextLong() % 1_000_000_000_000_000_000L;
                g.append("dec18", unscaled);
                row[c] = BigDecimal.valueOf(unscaled, 4);
            }
            c++;
            if (random.nextInt(9) != 0) {
                BigInteger unscaled = new BigInteger(92, random).subtract(BigInteger.ONE.shiftLeft(91));
                g.append("dec28", Binary.fromConstantByteArray(twosComplement(unscaled, 12)));
                row[c] = new BigDecimal(unscaled, 6);
            }
            c++;
            if (random.nextInt(9) != 0) {
                long unscaled = random.nextLong() % 10_000_000_000L;
                g.append("dec10", Binary.fromConstantByteArray(twosComplement(BigInteger.valueOf(unscaled), 5)));
                row[c] = BigDecimal.valueOf(unscaled, 3);
            }
            c++;
            if (random.nextInt(9) != 0) {
                BigInteger unscaled = new BigInteger(66, random).subtract(BigInteger.ONE.shiftLeft(65));
                g.append("decb", Binary.fromConstantByteArray(unscaled.toByteArray()));
                row[c] = new BigDecimal(unscaled, 2);
            }
            c++;
            if (random.nextInt(10) != 0) {
                String s = switch (random.nextInt(4)) {
                    case 0 -> "";
                    case 1 -> "строка " + random.nextInt(ROWS);
                    default -> "s" + random.nextLong();
                };
                g.append("s", s);
                row[c] = s;
            }
            c++;
            String rs = "row " + n;
            g.append("rs", rs);
            row[c++] = rs;
            if (random.nextInt(4) != 0) {
                boolean b = random.nextBoolean();
                g.append("b", b);
                row[c] = b;
            }
            c++;
            boolean rb = random.nextInt(3) == 0;
            g.append("rb", rb);
            row[c++] = rb;
            g.append("few", n % 5);
            row[c++] = n % 5;
            if (random.nextInt(6) != 0) {
                String s = colours[random.nextInt(colours.length)];
                g.append("fews", s);
                row[c] = s;
            }
            c++;
            if (random.nextInt(8) != 0) {
                byte b = (byte) random.nextInt();
                g.append("tiny", (int) b);
                row[c] = b;
            }
            c++;
            if (random.nextInt(8) != 0) {
                short s = (short) random.nextInt();
                g.append("small", (int) s);
                row[c] = s;
            }
            c++;
            if (random.nextInt(8) != 0) {
                int day = random.nextInt(60_000) - 20_000;
                g.append("day", day);
                row[c] = Date.valueOf(LocalDate.ofEpochDay(day));
            }
            c++;
            if (random.nextInt(8) != 0) {
                long micros = random.nextLong() % 4_000_000_000_000_000L;
                g.append("ts", micros);
                row[c] = Timestamp.from(Instant.EPOCH.plusNanos(micros * 1000));
            }
            c++;
            if (random.nextInt(8) != 0) {
                byte[] raw = new byte[random.nextInt(9)];
                random.nextBytes(raw);
                g.append("raw", Binary.fromConstantByteArray(raw));
                row[c] = raw;
            }
            c++;
            groups.add(g);
            expected.add(canonical(org.apache.spark.sql.RowFactory.create(row)));
        }
        expected.sort(null);
    }

    /** The big-endian two's complement of a value in exactly {@code width} bytes, as FIXED_LEN_BYTE_ARRAY holds it. */
    private static byte[] twosComplement(BigInteger value, int width) {
        byte[] minimal = value.toByteArray();
        byte[] out = new byte[width];
        Arrays.fill(out, 0, width - minimal.length, (byte) (value.signum() < 0 ? 0xff : 0));
        System.arraycopy(minimal, 0, out, width - minimal.length, minimal.length);
        return out;
    }

    static Stream<Arguments> layouts() {
        List<Arguments> out = new ArrayList<>();
        for (CompressionCodecName codec : List.of(CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY,
                CompressionCodecName.GZIP, CompressionCodecName.ZSTD)) {
            for (WriterVersion version : WriterVersion.values()) {
                for (boolean dictionary : new boolean[] {true, false}) {
                    out.add(Arguments.of(codec, version, dictionary));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} dictionary {2}")
    @MethodSource("layouts")
    void readsExactlyWhatWasWritten(CompressionCodecName codec, WriterVersion version, boolean dictionary) {
        Path file = dir.resolve(codec + "-" + version + "-" + dictionary + ".parquet");
        SourceTestSupport.writeGroups(file, SCHEMA, groups, b -> b
                .withCompressionCodec(codec)
                .withWriterVersion(version)
                .withDictionaryEncoding(dictionary)
                .withDictionaryPageSize(4096)       // high-cardinality chunks fall back to plain midway
                .withPageSize(2048)
                .withPageRowCountLimit(400)
                .withRowGroupRowCountLimit(ROW_GROUP_ROWS));

        // the file holds what this test claims to read
        Map<String, Integer> census = SourceTestSupport.pageCensus(file);
        int chunks = SCHEMA.getColumns().size() * (ROWS / ROW_GROUP_ROWS);
        assertEquals(chunks, census.get("codec " + codec), census.toString());
        boolean v2 = version == WriterVersion.PARQUET_2_0;
        assertTrue(census.getOrDefault(v2 ? "DATA_PAGE_V2" : "DATA_PAGE", 0) >= 4 * chunks, census.toString());
        assertFalse(census.containsKey(v2 ? "DATA_PAGE" : "DATA_PAGE_V2"), census.toString());
        assertEquals(dictionary, census.containsKey("DICTIONARY_PAGE"), census.toString());
        if (dictionary) {
            assertTrue(census.containsKey(v2 ? "encoding RLE_DICTIONARY" : "encoding PLAIN_DICTIONARY"), census.toString());
        }
        assertTrue(census.containsKey("encoding PLAIN"), census.toString());
        if (v2 && !dictionary) {
            assertTrue(census.containsKey("encoding DELTA_BINARY_PACKED"), census.toString());
            assertTrue(census.containsKey("encoding DELTA_BYTE_ARRAY"), census.toString());
        }

        Dataset<Row> ours = SourceTestSupport.wavg(file);
        assertEquals(SPARK_SCHEMA, ours.schema());
        assertEquals(expected, sortedRows(ours), "values read back");
        // Spark's vectorized reader misreads DELTA_BYTE_ARRAY decimals (FIXED_LEN_BYTE_ARRAY and BINARY)
        // in uncompressed v2 pages (values out of their precision); its row reader reads them right
        boolean sparkVectorizedOk = !(v2 && codec == CompressionCodecName.UNCOMPRESSED);
        try (var reader = SourceTestSupport.withConf("spark.sql.parquet.enableVectorizedReader",
                String.valueOf(sparkVectorizedOk))) {
            assertEquals(expected, sortedRows(SourceTestSupport.sparkParquet(file)), "Spark's reader");
        }
        assertEquals(ROWS / ROW_GROUP_ROWS, ours.rdd().getNumPartitions(), "one input partition per row group");
    }

    /** BYTE_STREAM_SPLIT (floats and doubles) has no bulk route in the reader: parquet-column decodes it. */
    @Test
    void byteStreamSplitDoubles() {
        Path file = dir.resolve("byte-stream-split.parquet");
        SourceTestSupport.writeGroups(file, SCHEMA, groups, b -> b
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withDictionaryEncoding(false)
                .withByteStreamSplitEncoding(true)
                .withPageSize(2048)
                .withRowGroupRowCountLimit(ROW_GROUP_ROWS));
        assertTrue(SourceTestSupport.pageCensus(file).containsKey("encoding BYTE_STREAM_SPLIT"));
        assertEquals(expected, sortedRows(SourceTestSupport.wavg(file)), "values read back");
    }
}
