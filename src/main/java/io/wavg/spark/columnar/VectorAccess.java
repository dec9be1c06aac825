package io.wavg.spark.columnar;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;

/**
 * Reads a batch's doubles and NULL flags for the kernel. Spark's on-heap vectors keep both in plain
 * arrays; handing those over avoids copying every value, which would cost as much as the kernel.
 * Other vectors, and dictionary-encoded ones, are copied through the public API.
 */
public final class VectorAccess {
    private static final VarHandle DOUBLE_DATA = field("doubleData", double[].class);
    private static final VarHandle NULLS = field("nulls", byte[].class);

    private VectorAccess() {}

    /** Null where this Spark build lays its vectors out differently: then the public API is used. */
    private static VarHandle field(String name, Class<?> type) {
        try {
            return MethodHandles.privateLookupIn(OnHeapColumnVector.class, MethodHandles.lookup())
                    .findVarHandle(OnHeapColumnVector.class, name, type);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
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
}
