package io.wavg.spark.grouping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.dictionary.PlainValuesDictionary;
import org.apache.spark.sql.execution.datasources.parquet.ParquetDictionary;
import org.apache.spark.sql.execution.vectorized.ConstantColumnVector;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Group ids are dense, in order of first appearance, and the same for the same key: whether the key
 * range from the statistics gives a direct-address table, is too wide for one, is unknown (a first
 * batch then places a table, which later keys may fall outside of), or does not cover every key; whether strings come as bytes or as ids of changing dictionaries; over one key or
 * several with NULLs and constant (partition) columns. Rows the filter excludes make no group.
 */
class GroupIndexTest {
    private static final int ROWS = 1000;

    @ParameterizedTest
    @ValueSource(strings = {"direct", "too wide", "unknown", "unknown, spreading later", "partly covered"})
    void idsAreDenseAndStableWhateverTheKeyRange(String range) {
        long[] keyRange = switch (range) {
            case "direct" -> new long[] {-500, 1500};
            case "too wide" -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
            case "unknown", "unknown, spreading later" -> null;
            default -> new long[] {0, 700};
        };
        GroupIndex index = GroupIndex.of(new int[] {0}, new DataType[] {DataTypes.LongType}, keyRange, 10_000);
        SplittableRandom random = new SplittableRandom(3);
        Reference reference = new Reference();
        OnHeapColumnVector keys = new OnHeapColumnVector(ROWS, DataTypes.LongType);
        try {
            for (int round = 0; round < 10; round++) {
                keys.reset();
                for (int i = 0; i < ROWS; i++) {
                    if (random.nextInt(50) == 0) {
                        keys.putNull(i);
                    } else if (round > 0 && range.endsWith("later") && random.nextInt(4) == 0) {
                        // past the table the first batch placed: near it, and at the ends of the long range
                        long[] far = {Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MAX_VALUE, -3000, 4000};
                        keys.putLong(i, random.nextBoolean() ? far[random.nextInt(far.length)]
                                : random.nextLong(-2000, 3001));
                    } else {
                        keys.putLong(i, random.nextLong(-500, 1501));
                    }
                }
                reference.check(index, batch(keys), excludedEveryTenth(), range);
            }
            assertEquals(reference.size(), index.size());
        } finally {
            keys.close();
        }
    }

    /**
     * Without statistics the first batch's keys place a table that grows as groups come; a key that
     * hashed while it lay too far out keeps its id once the table has grown over it.
     */
    @Test
    void aLearntTableKeepsTheIdsOfKeysItGrowsOver() {
        GroupIndex index = GroupIndex.of(new int[] {0}, new DataType[] {DataTypes.LongType}, null, 0);
        Reference reference = new Reference();
        long[][] rounds = {
            {0, 100},         // a table for 0..99
            {100, 1000},      // 5000 lies past 8 codes a group: it hashes
            {4000, 5001},     // the table grows over 5000
            {-10, 10},        // below the table: hashes
        };
        OnHeapColumnVector keys = new OnHeapColumnVector(ROWS, DataTypes.LongType);
        try {
            for (long[] round : rounds) {
                keys.reset();
                for (int i = 0; i < ROWS; i++) {
                    keys.putLong(i, round != rounds[0] && i % 7 == 0 ? 5000 : round[0] + i % (round[1] - round[0]));
                }
                reference.check(index, batch(keys), null, "keys " + round[0] + ".." + round[1]);
            }
            assertEquals(reference.size(), index.size());
        } finally {
            keys.close();
        }
    }

    @Test
    void stringsFromBytesAndFromChangingDictionariesShareTheirIds() throws IOException {
        GroupIndex index = GroupIndex.of(new int[] {0}, new DataType[] {DataTypes.StringType}, null, 10_000);
        Reference reference = new Reference();
        SplittableRandom random = new SplittableRandom(5);
        OnHeapColumnVector keys = new OnHeapColumnVector(ROWS, DataTypes.StringType);
        try {
            for (int round = 0; round < 6; round++) {
                keys.reset();
                keys.setDictionary(null);
                if (round % 2 == 0) {
                    // a row group's dictionary: a different subset and order each time
                    List<String> entries = new ArrayList<>();
                    for (int e = 0; e < 40; e++) {
                        entries.add("SYM" + random.nextInt(60));
                    }
                    keys.setDictionary(new ParquetDictionary(dictionary(entries), false));
                    keys.reserveDictionaryIds(ROWS);
                    for (int i = 0; i < ROWS; i++) {
                        if (random.nextInt(30) == 0) {
                            keys.putNull(i);
                        } else {
                            keys.getDictionaryIds().putInt(i, random.nextInt(entries.size()));
                        }
                    }
                } else {
                    for (int i = 0; i < ROWS; i++) {
                        keys.putByteArray(i, ("SYM" + random.nextInt(60)).getBytes(StandardCharsets.UTF_8));
                    }
                }
                reference.check(index, batch(keys), round == 2 ? excludedEveryTenth() : null, "round " + round);
            }
            assertEquals(reference.size(), index.size());
        } finally {
            keys.close();
        }
    }

    @Test
    void severalKeysWithNullsAndAConstantPartitionColumn() {
        DataType[] types = {DataTypes.StringType, DataTypes.IntegerType, DataTypes.DateType, DataTypes.DoubleType};
        GroupIndex index = GroupIndex.of(new int[] {0, 1, 2, 3}, types, null, 10_000);
        Reference reference = new Reference();
        SplittableRandom random = new SplittableRandom(7);
        OnHeapColumnVector symbols = new OnHeapColumnVector(ROWS, DataTypes.StringType);
        OnHeapColumnVector sizes = new OnHeapColumnVector(ROWS, DataTypes.IntegerType);
        OnHeapColumnVector prices = new OnHeapColumnVector(ROWS, DataTypes.DoubleType);
        try {
            for (int day = 20_000; day < 20_004; day++) {
                symbols.reset();
                sizes.reset();
                prices.reset();
                for (int i = 0; i < ROWS; i++) {
                    symbols.putByteArray(i, ("S" + random.nextInt(8)).getBytes(StandardCharsets.UTF_8));
                    if (random.nextInt(10) == 0) {
                        sizes.putNull(i);
                    } else {
                        sizes.putInt(i, random.nextInt(3));
                    }
                    // -0.0 and 0.0 are one key, as Spark groups them
                    prices.putDouble(i, random.nextBoolean() ? 0.0 : random.nextBoolean() ? -0.0 : 1.5);
                }
                ConstantColumnVector days = new ConstantColumnVector(ROWS, DataTypes.DateType);
                if (day == 20_003) {
                    days.setNull();
                } else {
                    days.setInt(day);
                }
                reference.check(index, batch(symbols, sizes, days, prices), excludedEveryTenth(), "day " + day);
                days.close();
            }
            assertEquals(reference.size(), index.size());
        } finally {
            symbols.close();
            sizes.close();
            prices.close();
        }
    }

    /** Ids as a map from each key, read through Spark's row view of the batch, gives them. */
    private static final class Reference {
        private final Map<List<Object>, Integer> ids = new HashMap<>();

        void check(GroupIndex index, ColumnarBatch batch, byte[] excluded, String where) {
            int[] groups = new int[ROWS];
            index.groupsOf(batch, ROWS, excluded, groups);
            for (int i = 0; i < ROWS; i++) {
                if (excluded != null && excluded[i] != 0) {
                    assertEquals(-1, groups[i], where + ": an excluded row");
                    continue;
                }
                List<Object> key = new ArrayList<>();
                for (int c = 0; c < batch.numCols(); c++) {
                    ColumnVector column = batch.column(c);
                    DataType type = column.dataType();
                    key.add(column.isNullAt(i) ? null
                            : type == DataTypes.StringType ? column.getUTF8String(i).copy() // not a view of reused bytes
                            : type == DataTypes.LongType ? (Object) column.getLong(i)
                            : type == DataTypes.DoubleType ? (Object) (column.getDouble(i) + 0.0)
                            : (Object) column.getInt(i));
                }
                int expected = ids.computeIfAbsent(key, k -> ids.size());
                assertEquals(expected, groups[i], where + ": id of key " + key);
                assertArrayEquals(key.toArray(), index.key(groups[i]), where + ": key of id " + groups[i]);
            }
        }

        int size() {
            return ids.size();
        }
    }

    private static ColumnarBatch batch(ColumnVector... columns) {
        ColumnarBatch batch = new ColumnarBatch(columns);
        batch.setNumRows(ROWS);
        return batch;
    }

    private static byte[] excludedEveryTenth() {
        byte[] excluded = new byte[ROWS];
        for (int i = 0; i < ROWS; i += 10) {
            excluded[i] = 1;
        }
        return excluded;
    }

    /** A Parquet dictionary of strings, from a PLAIN-encoded dictionary page. */
    private static PlainValuesDictionary.PlainBinaryDictionary dictionary(List<String> entries) throws IOException {
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        for (String entry : entries) {
            byte[] bytes = entry.getBytes(StandardCharsets.UTF_8);
            page.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array());
            page.write(bytes);
        }
        return new PlainValuesDictionary.PlainBinaryDictionary(
                new DictionaryPage(BytesInput.from(page.toByteArray()), entries.size(), Encoding.PLAIN_DICTIONARY));
    }

}
