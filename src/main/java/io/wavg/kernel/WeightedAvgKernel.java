package io.wavg.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Batch entry points of a weighted-average kernel. Every method works on a caller-owned state laid
 * out as {@link StateLayout} describes; kernels are stateless and thread-safe.
 */
public interface WeightedAvgKernel {

    /** Short name for logs and metrics: "native", "java" or "foreign:&lt;path&gt;". */
    String name();

    /** Adds {@code n} pairs interleaved as weight, value. */
    void addPairs(long[] state, double[] pairs, int n);

    /**
     * Adds the first {@code n} pairs of two columns. A null mask (one byte per row, non-zero for NULL,
     * as Spark's column vectors keep them) may be given for either column, or be null; a pair with a
     * NULL side is skipped.
     */
    void addColumns(long[] state, double[] weights, double[] values, byte[] weightNulls, byte[] valueNulls, int n);

    /**
     * Adds {@code n} pairs from two columns of little-endian doubles starting at each buffer's position,
     * as Parquet's PLAIN pages hold them; no NULLs. Kernels that cannot read the buffers in place copy
     * them through arrays, a block at a time.
     */
    default void addLittleEndianColumns(long[] state, ByteBuffer weights, ByteBuffer values, int n) {
        checkColumns(weights, values, n);
        int block = Math.min(n, 1 << 12);
        double[] w = new double[block];
        double[] v = new double[block];
        for (int done = 0; done < n; done += block) {
            int chunk = Math.min(block, n - done);
            weights.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(weights.position() + 8 * done)
                    .asDoubleBuffer().get(w, 0, chunk);
            values.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(values.position() + 8 * done)
                    .asDoubleBuffer().get(v, 0, chunk);
            addColumns(state, w, v, null, null, chunk);
        }
    }

    /** Both buffers hold n doubles from their positions; a wrong length must not reach native code. */
    static void checkColumns(ByteBuffer weights, ByteBuffer values, int n) {
        if (n < 0 || weights.remaining() < 8L * n || values.remaining() < 8L * n) {
            throw new IllegalArgumentException("weighted_avg: " + n + " pairs need " + 8L * n
                    + " bytes a column, got " + weights.remaining() + " and " + values.remaining());
        }
    }

    /** Propagates carries so the digits are in canonical form. */
    void normalize(long[] state);
}
