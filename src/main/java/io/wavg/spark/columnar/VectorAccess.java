package io.wavg.spark.columnar;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.apache.spark.sql.execution.datasources.parquet.ParquetDictionary;
import org.apache.spark.sql.execution.vectorized.Dictionary;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.vectorized.ColumnVector;

/**
 * Reads a batch's doubles and NULL flags for the kernel. Spark's on-heap vectors keep both in plain
 * arrays; handing those over avoids copying every value, which would cost as much as the kernel.
 * Other vectors, and dictionary-encoded ones, are copied through the public API.
 */
public final class VectorAccess {
    private static final VarHandle DOUBLE_DATA = field(OnHeapColumnVector.class, "doubleData", double[].class);
    private static final VarHandle NULLS = field(OnHeapColumnVector.class, "nulls", byte[].class);
    private static final VarHandle LONG_DATA = field(OnHeapColumnVector.class, "longData", long[].class);
    private static final VarHandle INT_DATA = field(OnHeapColumnVector.class, "intData", int[].class);
    /** Spark keeps a vector's dictionary protected, and the Parquet one inside its wrapper private. */
    private static final VarHandle DICTIONARY = field(WritableColumnVector.class, "dictionary", Dictionary.class);
    private static final VarHandle PARQUET_DICTIONARY = field(ParquetDictionary.class, "dictionary",
            org.apache.parquet.column.Dictionary.class);

    private VectorAccess() {}

    /** Null where this Spark build lays its vectors out differently: then the public API is used. */
    private static VarHandle field(Class<?> owner, String name, Class<?> type) {
        try {
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVarHandle(owner, name, type);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * What stays the same while a dictionary does: Spark's reader wraps a column chunk's Parquet
     * dictionary anew for every batch, so callers that convert a dictionary once compare this instead.
     */
    public static Object dictionaryContent(Dictionary dictionary) {
        if (PARQUET_DICTIONARY != null && dictionary instanceof ParquetDictionary wrapper) {
            Object content = PARQUET_DICTIONARY.get(wrapper);
            return content != null ? content : dictionary;
        }
        return dictionary;
    }

    /** The dictionary a vector's values are ids of, or null when they are values or it cannot be read. */
    public static Dictionary dictionary(ColumnVector vector) {
        if (DICTIONARY != null && vector instanceof WritableColumnVector writable && writable.hasDictionary()) {
            return (Dictionary) DICTIONARY.get(writable);
        }
        return null;
    }

    /**
     * The array holding the first n values of an on-heap BIGINT vector without a dictionary (it may be
     * longer than n), or null for any other vector, or one that never held a value (all NULL).
     */
    public static long[] longs(ColumnVector vector, int n) {
        if (LONG_DATA != null && vector instanceof OnHeapColumnVector onHeap && !onHeap.hasDictionary()) {
            long[] data = (long[]) LONG_DATA.get(onHeap);
            return data != null && data.length >= n ? data : null;
        }
        return null;
    }

    /** As {@link #longs}, for an INT vector or a vector of dictionary ids. */
    public static int[] ints(ColumnVector vector, int n) {
        if (INT_DATA != null && vector instanceof OnHeapColumnVector onHeap && !onHeap.hasDictionary()) {
            int[] data = (int[]) INT_DATA.get(onHeap);
            return data != null && data.length >= n ? data : null;
        }
        return null;
    }

    /** The first n values; the array may be longer than n. */
    public static double[] doubles(ColumnVector vector, int n) {
        if (DOUBLE_DATA != null && vector instanceof OnHeapColumnVector onHeap && !onHeap.hasDictionary()) {
            double[] data = (double[]) DOUBLE_DATA.get(onHeap);
            if (data != null && data.length >= n) {
                return data;
            }
        }
        return vector.getDoubles(0, n);
    }

    /** One byte per row, non-zero for NULL, or null when the vector has no NULL; may be longer than n. */
    public static byte[] nulls(ColumnVector vector, int n) {
        if (!vector.hasNull()) {
            return null;
        }
        if (NULLS != null && vector instanceof OnHeapColumnVector onHeap) {
            byte[] flags = (byte[]) NULLS.get(onHeap);
            if (flags != null && flags.length >= n) {
                return flags;
            }
        }
        byte[] mask = new byte[n];
        for (int i = 0; i < n; i++) {
            mask[i] = (byte) (vector.isNullAt(i) ? 1 : 0);
        }
        return mask;
    }

    /** Whether {@link NumericColumn} reads this type. */
    public static boolean isNumeric(DataType type) {
        return type == DataTypes.DoubleType || type == DataTypes.LongType || type == DataTypes.IntegerType
                || type == DataTypes.FloatType || type == DataTypes.ShortType || type == DataTypes.ByteType
                || type instanceof DecimalType;
    }

    /** Flags set in either of two NULL masks (each null for none), as {@link #nulls} gives them. */
    public static byte[] union(byte[] a, byte[] b, int n) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        byte[] both = new byte[n];
        for (int i = 0; i < n; i++) {
            both[i] = (byte) (a[i] | b[i]);
        }
        return both;
    }
}
