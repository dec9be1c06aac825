package io.wavg.kernel;

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

    /** Propagates carries so the digits are in canonical form. */
    void normalize(long[] state);
}
