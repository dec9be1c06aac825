package io.wavg.state;

import static io.wavg.kernel.StateLayout.*;

import io.wavg.kernel.StateLayout;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * The aggregation state of weighted_avg: exact sums of weights and of weight * value over the
 * non-NULL pairs, the count of those pairs, and which infinities or NaNs were seen. Merging is exact,
 * so the result does not depend on how the pairs were split or ordered.
 *
 * <p>Serialized form, version {@value #FORMAT_VERSION}: version byte, flags byte, pair count
 * (varint), then the weight and product sums as (lowest digit, digit count, 32-bit digits).
 */
public final class WeightedSum {
    public static final int FORMAT_VERSION = 1;

    private final FixedPointSum weights;
    private final FixedPointSum products;
    private long count;
    private int flags;

    public WeightedSum() {
        weights = new FixedPointSum();
        products = new FixedPointSum();
    }

    /**
     * A state whose sums have room for windows of this many digits from the start, so a state kept
     * long (a group's in a merge) sits with its digits in one place on the heap.
     */
    public WeightedSum(int digitCapacity) {
        weights = new FixedPointSum(digitCapacity);
        products = new FixedPointSum(digitCapacity);
    }

    /** The serialized form of a kernel state in canonical form (see WeightedAvgKernel.normalize). */
    public static byte[] serializeKernelState(long[] state) {
        WeightedSum sum = new WeightedSum();
        sum.addKernelState(state);
        return sum.serialize();
    }

    /** Adds a kernel state; its digits must be in canonical form (see WeightedAvgKernel.normalize). */
    public void addKernelState(long[] state) {
        if (state[TAG] != LAYOUT_TAG) {
            throw new IllegalStateException(String.format(
                    "weighted_avg: kernel state has layout tag %x, this build expects %x", state[TAG], LAYOUT_TAG));
        }
        weights.addCanonical(state, WEIGHT_DIGITS);
        products.addCanonical(state, PRODUCT_DIGITS);
        count += state[COUNT];
        flags |= (int) state[FLAGS];
    }

    /**
     * Adds one pair exactly, counted. Meant for pairs that arrive one at a time (a group's rare
     * outliers); batches belong to a kernel.
     */
    public void addPair(double weight, double value) {
        long[] state = StateLayout.newState();
        io.wavg.kernel.JavaKernel.INSTANCE.addPairs(state, new double[] {weight, value}, 1);
        io.wavg.kernel.JavaKernel.INSTANCE.normalize(state);
        addKernelState(state);
    }

    /**
     * Whether {@link #addSplitPair} takes this pair: both finite, and the product split exactly into a
     * double and its FMA residual (no overflow, and no underflow to lose the residual's bits).
     */
    public static boolean splits(double weight, double value) {
        double product = weight * value;
        return Double.isFinite(weight) && Double.isFinite(value) && Double.isFinite(product)
                && (product == 0.0 ? weight == 0.0 || value == 0.0 : Math.abs(product) >= 0x1p-960);
    }

    /**
     * Adds ({@code sign} 1) or takes away ({@code sign} -1) one pair that {@link #splits}, exactly: a
     * window that slides drops its oldest pair as exactly as it took it.
     */
    public void addSplitPair(double weight, double value, int sign) {
        double product = weight * value;
        double residual = Math.fma(weight, value, -product);
        if (weight != 0.0) {
            weights.addDouble(sign * weight);
        }
        if (product != 0.0) {
            products.addDouble(sign * product);
        }
        if (residual != 0.0) {
            products.addDouble(sign * residual);
        }
        count += sign;
    }

    /** Adds exact parts of the sums: a part of Σw, a part of Σw·v, and pairs they stand for. */
    public void addParts(double weightPart, double productPart, long pairs) {
        if (weightPart != 0.0) {
            weights.addDouble(weightPart);
        }
        if (productPart != 0.0) {
            products.addDouble(productPart);
        }
        count += pairs;
    }

    /** Makes this the state of no pairs, keeping its digit arrays for reuse. */
    public void clear() {
        weights.clear();
        products.clear();
        count = 0;
        flags = 0;
    }

    public void merge(WeightedSum other) {
        weights.add(other.weights);
        products.add(other.products);
        count += other.count;
        flags |= other.flags;
    }

    /** Non-NULL pairs accumulated. */
    public long count() {
        return count;
    }

    /**
     * The correctly rounded sum of the weights; NaN after a NaN weight or infinite weights of both
     * signs, an infinity after infinite weights of one sign.
     */
    public double totalWeight() {
        double special = infinities(FLAG_WEIGHT_NAN, FLAG_WEIGHT_POS_INF, FLAG_WEIGHT_NEG_INF);
        if (special != 0.0 || Double.isNaN(special)) {
            return special;
        }
        double[] total = new double[2];
        int scale = weights.approximate(total);
        double fast = scale == FixedPointSum.ZERO_SCALE ? Double.NaN : rounded(total[0], total[1], scale);
        return !Double.isNaN(fast) ? fast : ExactRounding.quotient(weights.scaled(), BigInteger.ONE, -BIAS_BITS);
    }

    /**
     * The correctly rounded weighted average, or null when it is undefined: no pairs, or a total weight
     * of exactly zero. A NaN input or an infinite weight gives NaN; infinite products of one sign give
     * an infinity signed by the total weight.
     */
    public Double average() {
        if (count == 0) {
            return null;
        }
        double weightSpecial = infinities(FLAG_WEIGHT_NAN, FLAG_WEIGHT_POS_INF, FLAG_WEIGHT_NEG_INF);
        double productSpecial = infinities(FLAG_PRODUCT_NAN, FLAG_PRODUCT_POS_INF, FLAG_PRODUCT_NEG_INF);
        if (weightSpecial != 0.0 || Double.isNaN(weightSpecial) || Double.isNaN(productSpecial)) {
            return Double.NaN; // an infinite weight makes its product infinite too: inf / inf
        }
        int weightSign = weights.signum();
        if (weightSign == 0) {
            return null;
        }
        if (productSpecial != 0.0) {
            return weightSign > 0 ? productSpecial : -productSpecial;
        }
        double fast = roundedQuotient();
        if (!Double.isNaN(fast)) {
            return fast;
        }
        BigInteger den = weights.scaled();
        BigInteger num = products.scaled();
        return weightSign > 0
                ? ExactRounding.quotient(num, den, 0)
                : ExactRounding.quotient(num.negate(), den.negate(), 0);
    }

    /** Relative error bound of the double-double quotient below, with room to spare (about 2^-100). */
    private static final double QUOTIENT_ERROR = 0x1p-96;

    /**
     * The correctly rounded Σw·v / Σw from double-double approximations of both sums, or NaN when the
     * approximation cannot tell which double is nearest (the quotient within its error bound of a
     * halfway point: ties, or near ties) or the result is not a normal double; the exact division
     * decides those. Both sums must be finite and Σw non-zero.
     */
    private double roundedQuotient() {
        double[] num = new double[2];
        double[] den = new double[2];
        int numScale = products.approximate(num);
        int denScale = weights.approximate(den);
        if (numScale == FixedPointSum.ZERO_SCALE || denScale == FixedPointSum.ZERO_SCALE) {
            return Double.NaN;
        }
        double q1 = num[0] / den[0];
        double remainder = Math.fma(-q1, den[0], num[0]); // exact
        double q2 = (remainder + num[1] - q1 * den[1]) / den[0];
        return rounded(q1, q2, numScale - denScale);
    }

    /**
     * (hi + lo) * 2^scale rounded to the nearest double, where hi + lo (|lo| far below |hi|) is within a
     * relative {@link #QUOTIENT_ERROR} of an exact value: that value's correct rounding, or NaN when the
     * error bound reaches a halfway point between doubles or the result would not be a normal double.
     */
    private static double rounded(double hi, double lo, int scale) {
        double rounded = hi + lo;
        double offset = lo - (rounded - hi); // exact: hi + lo = rounded + offset
        double gap = offset > 0 ? Math.nextUp(rounded) - rounded
                : offset < 0 ? rounded - Math.nextDown(rounded)
                : Math.min(Math.nextUp(rounded) - rounded, rounded - Math.nextDown(rounded));
        if (Math.abs(offset) + Math.abs(rounded) * QUOTIENT_ERROR >= gap / 2) {
            return Double.NaN;
        }
        int exponent = Math.getExponent(rounded) + scale;
        if (exponent < Double.MIN_EXPONENT || exponent > Double.MAX_EXPONENT) {
            return Double.NaN; // subnormal (a second rounding) or beyond the doubles
        }
        return Math.scalb(rounded, scale);
    }

    /** The IEEE sum of the infinities flagged: 0 for none, NaN for a NaN or both signs. */
    private double infinities(int nan, int positive, int negative) {
        if ((flags & nan) != 0 || ((flags & positive) != 0 && (flags & negative) != 0)) {
            return Double.NaN;
        }
        if ((flags & positive) != 0) {
            return Double.POSITIVE_INFINITY;
        }
        return (flags & negative) != 0 ? Double.NEGATIVE_INFINITY : 0.0;
    }

    /** Digits held by both sums: what this state costs beyond its fixed fields. */
    public int digitCount() {
        return weights.digitCount() + products.digitCount();
    }

    public byte[] serialize() {
        ByteBuffer out = ByteBuffer.allocate(2 + Varint.size(count) + weights.serializedSize()
                + products.serializedSize());
        out.put((byte) FORMAT_VERSION);
        out.put((byte) flags);
        Varint.write(out, count);
        weights.write(out);
        products.write(out);
        return out.array();
    }

    public static WeightedSum deserialize(byte[] bytes) {
        WeightedSum sum = new WeightedSum();
        sum.mergeSerialized(bytes);
        return sum;
    }

    /** Merges a serialized state into this one, as {@code merge(deserialize(bytes))} without the object. */
    public void mergeSerialized(byte[] bytes) {
        mergeSerialized(bytes, 0, bytes.length);
    }

    /** As {@link #mergeSerialized(byte[])}, the state being {@code bytes[offset, offset + length)}. */
    public void mergeSerialized(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        try {
            int version = in.get() & 0xff;
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("weighted_avg: aggregation state format version " + version
                        + " cannot be read by this build, which writes version " + FORMAT_VERSION
                        + "; are different versions of the jar on the driver and the executors?");
            }
            flags |= in.get() & 0xff;
            count += Varint.read(in);
            weights.addSerialized(in);
            products.addSerialized(in);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("weighted_avg:")) {
                throw e;
            }
            throw new IllegalArgumentException("weighted_avg: corrupt aggregation state: "
                    + (e.getMessage() == null ? "it ends too early" : e.getMessage()), e);
        }
    }
}
