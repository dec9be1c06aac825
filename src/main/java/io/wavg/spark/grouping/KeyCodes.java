package io.wavg.spark.grouping;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.vectorized.Dictionary;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.types.UTF8String;

import io.wavg.spark.columnar.VectorAccess;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One GROUP BY column's values as long codes, equal exactly where Spark puts the values in one group;
 * chosen once per column by type. Integral, date, timestamp and small decimal values are their own
 * code; strings and other values are interned to dense ids, a dictionary-encoded string column
 * through its dictionary ids, so each distinct string of a row group is hashed once, not once per row.
 * Codes under NULL rows are unspecified: the caller reads the NULLs from the vector.
 */
abstract class KeyCodes {

    /** The codes of rows 0..n-1 of a batch's key column. */
    abstract void codes(ColumnarBatch batch, int column, int n, long[] out);

    /** The Spark internal value a code stands for. */
    abstract Object value(long code);

    /** Whether codes are dense ids 0, 1, 2, … in order of first appearance, so a direct table maps them. */
    boolean dense() {
        return false;
    }

    /** Whether every code fits in an int, so two keys' codes pack into one long without loss. */
    boolean narrow() {
        return dense();
    }

    static KeyCodes of(DataType type) {
        if (type == DataTypes.IntegerType || type == DataTypes.DateType || type == DataTypes.ShortType
                || type == DataTypes.ByteType) {
            return new Ints(type);
        }
        if (type == DataTypes.LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
            return new Longs();
        }
        if (type == DataTypes.DoubleType || type == DataTypes.FloatType) {
            return new Floating(type);
        }
        if (type instanceof DecimalType decimal && decimal.precision() <= Decimal.MAX_LONG_DIGITS()) {
            return new SmallDecimals(decimal);
        }
        if (type instanceof StringType string && string.supportsBinaryEquality() || type instanceof BinaryType) {
            return new Bytes(type);
        }
        return new Interned(type);
    }

    /** INT, DATE, SMALLINT, TINYINT: the value itself. */
    private static final class Ints extends KeyCodes {
        private final DataType type;

        Ints(DataType type) {
            this.type = type;
        }

        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            ColumnVector vector = batch.column(column);
            if (type == DataTypes.ShortType) {
                short[] values = vector.getShorts(0, n);
                for (int i = 0; i < n; i++) {
                    out[i] = values[i];
                }
            } else if (type == DataTypes.ByteType) {
                byte[] values = vector.getBytes(0, n);
                for (int i = 0; i < n; i++) {
                    out[i] = values[i];
                }
            } else {
                int[] values = VectorAccess.ints(vector, n);
                for (int i = 0; i < n; i++) {
                    if (values != null) {
                        out[i] = values[i];
                    } else if (!vector.isNullAt(i)) { // an all-NULL vector may hold no array
                        out[i] = vector.getInt(i);
                    }
                }
            }
        }

        @Override
        boolean narrow() {
            return true;
        }

        @Override
        Object value(long code) {
            return type == DataTypes.ShortType ? (Object) (short) code
                    : type == DataTypes.ByteType ? (Object) (byte) code : (Object) (int) code;
        }
    }

    /** BIGINT, TIMESTAMP, TIMESTAMP_NTZ: the value itself. */
    private static final class Longs extends KeyCodes {
        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            ColumnVector vector = batch.column(column);
            long[] values = VectorAccess.longs(vector, n);
            if (values != null) {
                System.arraycopy(values, 0, out, 0, n);
                return;
            }
            for (int i = 0; i < n; i++) {
                if (!vector.isNullAt(i)) { // an all-NULL vector may hold no array
                    out[i] = vector.getLong(i);
                }
            }
        }

        @Override
        Object value(long code) {
            return code;
        }
    }

    /** DOUBLE, FLOAT: the bits, with -0.0 as 0.0 and one NaN, as Spark normalizes grouping keys. */
    private static final class Floating extends KeyCodes {
        private final boolean single;

        Floating(DataType type) {
            this.single = type == DataTypes.FloatType;
        }

        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            ColumnVector vector = batch.column(column);
            if (single) {
                float[] values = vector.getFloats(0, n);
                for (int i = 0; i < n; i++) {
                    out[i] = Double.doubleToLongBits(values[i] + 0.0); // + 0.0 turns -0.0 into 0.0
                }
            } else {
                double[] values = vector.getDoubles(0, n);
                for (int i = 0; i < n; i++) {
                    out[i] = Double.doubleToLongBits(values[i] + 0.0);
                }
            }
        }

        @Override
        Object value(long code) {
            double value = Double.longBitsToDouble(code);
            return single ? (Object) (float) value : (Object) value;
        }
    }

    /** DECIMAL of up to 18 digits: the unscaled value, the scale being the column's. */
    private static final class SmallDecimals extends KeyCodes {
        private final DecimalType type;

        SmallDecimals(DecimalType type) {
            this.type = type;
        }

        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            ColumnVector vector = batch.column(column);
            for (int i = 0; i < n; i++) {
                out[i] = vector.isNullAt(i) ? 0 : vector.getDecimal(i, type.precision(), type.scale()).toUnscaledLong();
            }
        }

        @Override
        Object value(long code) {
            return Decimal.createUnsafe(code, type.precision(), type.scale());
        }
    }

    /**
     * STRING (with binary equality) and BINARY, interned to dense ids. Where the reader left a vector
     * dictionary-encoded, each dictionary id is interned once and later rows take the id's code from
     * an array.
     */
    private static final class Bytes extends KeyCodes {
        private final boolean binary;
        private final Map<UTF8String, Integer> ids = new HashMap<>();
        private final List<UTF8String> values = new ArrayList<>();
        private Object dictionaryContent; // what codeOfDictionaryId was filled from
        private int[] codeOfDictionaryId = new int[0];

        Bytes(DataType type) {
            this.binary = type instanceof BinaryType;
        }

        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            ColumnVector vector = batch.column(column);
            Dictionary current = VectorAccess.dictionary(vector);
            if (current != null) {
                fromDictionary((WritableColumnVector) vector, current, n, out);
                return;
            }
            for (int i = 0; i < n; i++) {
                if (!vector.isNullAt(i)) {
                    out[i] = intern(binary ? UTF8String.fromBytes(vector.getBinary(i)) : vector.getUTF8String(i));
                }
            }
        }

        private void fromDictionary(WritableColumnVector vector, Dictionary current, int n, long[] out) {
            Object content = VectorAccess.dictionaryContent(current);
            if (content != dictionaryContent) {
                dictionaryContent = content;
                Arrays.fill(codeOfDictionaryId, -1);
            }
            int[] dictionaryIds = vector.getDictionaryIds().getInts(0, n);
            boolean nullable = vector.hasNull();
            for (int i = 0; i < n; i++) {
                if (nullable && vector.isNullAt(i)) {
                    continue; // the id under a NULL is left over from an earlier batch
                }
                int id = dictionaryIds[i];
                if (id >= codeOfDictionaryId.length) {
                    int old = codeOfDictionaryId.length;
                    codeOfDictionaryId = Arrays.copyOf(codeOfDictionaryId, Math.max(id + 1, 2 * old));
                    Arrays.fill(codeOfDictionaryId, old, codeOfDictionaryId.length, -1);
                }
                int code = codeOfDictionaryId[id];
                if (code < 0) {
                    code = intern(UTF8String.fromBytes(current.decodeToBinary(id)));
                    codeOfDictionaryId[id] = code;
                }
                out[i] = code;
            }
        }

        /** The id of a value, which may be a view of the vector's bytes: a new one is copied. */
        private int intern(UTF8String value) {
            Integer id = ids.get(value);
            if (id == null) {
                UTF8String copy = value.copy();
                id = values.size();
                values.add(copy);
                ids.put(copy, id);
            }
            return id;
        }

        @Override
        Object value(long code) {
            UTF8String value = values.get((int) code);
            return binary ? value.getBytes() : value;
        }

        @Override
        boolean dense() {
            return true;
        }
    }

    /** Any other type (wide decimals, structs, arrays, …): values projected to UnsafeRows and interned. */
    private static final class Interned extends KeyCodes {
        private final DataType type;
        private final Map<UnsafeRow, Integer> ids = new HashMap<>();
        private final List<UnsafeRow> values = new ArrayList<>();
        private UnsafeProjection project;
        private int projectedColumn = -1;

        Interned(DataType type) {
            this.type = type;
        }

        @Override
        void codes(ColumnarBatch batch, int column, int n, long[] out) {
            if (column != projectedColumn) {
                List<Expression> reference = List.of(new BoundReference(column, type, true));
                project = UnsafeProjection.create(CollectionConverters.asScala(reference).toSeq());
                projectedColumn = column;
            }
            ColumnVector vector = batch.column(column);
            for (int i = 0; i < n; i++) {
                if (vector.isNullAt(i)) {
                    continue;
                }
                UnsafeRow value = project.apply(batch.getRow(i));
                Integer id = ids.get(value);
                if (id == null) {
                    UnsafeRow copy = value.copy();
                    id = values.size();
                    values.add(copy);
                    ids.put(copy, id);
                }
                out[i] = id;
            }
        }

        @Override
        Object value(long code) {
            return values.get((int) code).get(0, type);
        }

        @Override
        boolean dense() {
            return true;
        }
    }
}
