package io.wavg.spark.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Group ids are dense, in order of first appearance, and the same for the same key whether the key
 * range from the statistics gives a direct-address table, is too wide for one, is unknown, or (as a
 * safeguard) does not cover every key.
 */
class GroupIndexTest {

    @ParameterizedTest
    @ValueSource(strings = {"direct", "too wide", "unknown", "partly covered"})
    void idsAreDenseAndStableWhateverTheKeyRange(String range) {
        long[] keyRange = switch (range) {
            case "direct" -> new long[] {-500, 1500};
            case "too wide" -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
            case "unknown" -> null;
            default -> new long[] {0, 700};
        };
        GroupIndex index = GroupIndex.of(new int[] {0}, new DataType[] {DataTypes.LongType}, keyRange, 10_000);
        SplittableRandom random = new SplittableRandom(3);
        Map<Long, Integer> ids = new HashMap<>(); // a NULL key as Long null
        OnHeapColumnVector keys = new OnHeapColumnVector(1000, DataTypes.LongType);
        ColumnarBatch batch = new ColumnarBatch(new ColumnVector[] {keys});
        try {
            for (int round = 0; round < 10; round++) {
                keys.reset();
                for (int i = 0; i < 1000; i++) {
                    if (random.nextInt(50) == 0) {
                        keys.putNull(i);
                    } else {
                        keys.putLong(i, random.nextLong(-500, 1501));
                    }
                }
                batch.setNumRows(1000);
                for (int i = 0; i < 1000; i++) {
                    Long key = keys.isNullAt(i) ? null : keys.getLong(i);
                    int expected = ids.computeIfAbsent(key, k -> ids.size());
                    int id = index.groupOf(batch, i);
                    assertEquals(expected, id, range + ": id of key " + key);
                    assertArrayEquals(new Object[] {key}, index.key(id), range + ": key of id " + id);
                }
            }
            assertEquals(ids.size(), index.size());
        } finally {
            keys.close();
        }
    }
}
