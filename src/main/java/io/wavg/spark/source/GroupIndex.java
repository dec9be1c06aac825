package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import scala.jdk.javaapi.CollectionConverters;

/** Dense ids 0, 1, 2, … for the GROUP BY keys met in one split, in order of first appearance. */
abstract class GroupIndex {

    /** The id of the key of a row of the batch, new if the key is new. */
    abstract int groupOf(ColumnarBatch batch, int row);

    abstract int size();

    /** The key values of a group, as Spark's internal values. */
    abstract Object[] key(int group);

    /** The most ids a direct-address table takes (16 MB of ints). */
    static final int DIRECT_LIMIT = 1 << 22;

    /**
     * @param keyRange {min, max} of a single integral key, or null when unknown
     * @param rows     how many rows will be looked up, so a sparse range does not get a large table
     */
    static GroupIndex of(int[] keyColumns, DataType[] keyTypes, long[] keyRange, long rows) {
        if (keyColumns.length == 1 && integral(keyTypes[0])) {
            long span = keyRange == null ? Long.MAX_VALUE : keyRange[1] - keyRange[0] + 1;
            boolean direct = keyRange != null && span > 0 && span <= Math.min(DIRECT_LIMIT, Math.max(1 << 16, 4 * rows));
            return new IntegralKey(keyColumns[0], keyTypes[0], direct ? keyRange[0] : 0, direct ? (int) span : 0);
        }
        return new AnyKey(keyColumns, keyTypes);
    }

    private static boolean integral(DataType type) {
        return type == DataTypes.LongType || type == DataTypes.IntegerType || type == DataTypes.ShortType
                || type == DataTypes.ByteType || type == DataTypes.DateType;
    }

    /**
     * One integral key, no object per row or per group: where the statistics bound the keys to a
     * small range, a direct-address table (key - min -> id), which keeps clustered keys' lookups in
     * cache; otherwise, and for any key outside that range, an open-addressing table of longs.
     */
    private static final class IntegralKey extends GroupIndex {
        private static final int EMPTY = -1;
        private final int column;
        private final DataType type;
        private final long directMin;
        private final int[] directIds;
        private long[] slotKeys = new long[1024];
        private int[] slotIds = filled(1024);
        private long[] keys = new long[256];
        private int size;
        private int nullGroup = EMPTY;

        IntegralKey(int column, DataType type, long directMin, int directSpan) {
            this.column = column;
            this.type = type;
            this.directMin = directMin;
            this.directIds = directSpan > 0 ? filled(directSpan) : null;
        }

        private static int[] filled(int n) {
            int[] ids = new int[n];
            Arrays.fill(ids, EMPTY);
            return ids;
        }

        @Override
        int groupOf(ColumnarBatch batch, int row) {
            ColumnVector vector = batch.column(column);
            if (vector.isNullAt(row)) {
                if (nullGroup == EMPTY) {
                    nullGroup = add(0L);
                }
                return nullGroup;
            }
            long key = type == DataTypes.LongType ? vector.getLong(row)
                    : type == DataTypes.ShortType ? vector.getShort(row)
                    : type == DataTypes.ByteType ? vector.getByte(row) : vector.getInt(row);
            long offset = key - directMin;
            if (directIds != null && offset >= 0 && offset < directIds.length) {
                int id = directIds[(int) offset];
                if (id == EMPTY) {
                    id = add(key);
                    directIds[(int) offset] = id;
                }
                return id;
            }
            int mask = slotIds.length - 1;
            for (int slot = mix(key) & mask; ; slot = (slot + 1) & mask) {
                int id = slotIds[slot];
                if (id == EMPTY) {
                    id = add(key);
                    slotKeys[slot] = key;
                    slotIds[slot] = id;
                    if (2 * size > slotIds.length) {
                        grow();
                    }
                    return id;
                }
                if (slotKeys[slot] == key) {
                    return id;
                }
            }
        }

        private int add(long key) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, 2 * size);
            }
            keys[size] = key;
            return size++;
        }

        private void grow() {
            long[] oldKeys = slotKeys;
            int[] oldIds = slotIds;
            slotKeys = new long[2 * oldKeys.length];
            slotIds = filled(2 * oldIds.length);
            int mask = slotIds.length - 1;
            for (int i = 0; i < oldIds.length; i++) {
                if (oldIds[i] != EMPTY) {
                    int slot = mix(oldKeys[i]) & mask;
                    while (slotIds[slot] != EMPTY) {
                        slot = (slot + 1) & mask;
                    }
                    slotKeys[slot] = oldKeys[i];
                    slotIds[slot] = oldIds[i];
                }
            }
        }

        private static int mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        int size() {
            return size;
        }

        @Override
        Object[] key(int group) {
            if (group == nullGroup) {
                return new Object[] {null};
            }
            long key = keys[group];
            Object value = type == DataTypes.LongType ? (Object) key
                    : type == DataTypes.ShortType ? (Object) (short) key
                    : type == DataTypes.ByteType ? (Object) (byte) key : (Object) (int) key;
            return new Object[] {value};
        }
    }

    /** Any keys: projected to UnsafeRows, copied once per group. */
    private static final class AnyKey extends GroupIndex {
        private final UnsafeProjection project;
        private final DataType[] types;
        private final Map<UnsafeRow, Integer> ids = new HashMap<>();
        private final List<UnsafeRow> keys = new ArrayList<>();

        AnyKey(int[] columns, DataType[] types) {
            List<Expression> references = new ArrayList<>();
            for (int i = 0; i < columns.length; i++) {
                references.add(new BoundReference(columns[i], types[i], true));
            }
            this.project = UnsafeProjection.create(CollectionConverters.asScala(references).toSeq());
            this.types = types;
        }

        @Override
        int groupOf(ColumnarBatch batch, int row) {
            UnsafeRow key = project.apply(batch.getRow(row));
            Integer id = ids.get(key);
            if (id == null) {
                UnsafeRow copy = key.copy();
                id = keys.size();
                keys.add(copy);
                ids.put(copy, id);
            }
            return id;
        }

        @Override
        int size() {
            return keys.size();
        }

        @Override
        Object[] key(int group) {
            UnsafeRow key = keys.get(group);
            Object[] values = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                values[i] = key.isNullAt(i) ? null : key.get(i, types[i]);
            }
            return values;
        }
    }
}
