package io.wavg.kernel;

/**
 * Layout of the kernel state, shared by the native kernel (native/wavg.c) and {@link JavaKernel}. A
 * state is {@link #WORDS} longs: a header, then the weight digits, then the product digits. Digit {@code i} of either sum weighs 2^(32 i - {@link #BIAS_BITS}); after
 * {@link WeightedAvgKernel#normalize} every digit but the top one lies in [0, 2^32).
 */
public final class StateLayout {
    public static final int ABI_VERSION = 1;
    public static final long LAYOUT_TAG = 0x5741564700000001L; // "WAVG" + ABI version

    public static final int DIGITS = 136;
    public static final int BIAS_BITS = 2176;
    public static final int HEADER_WORDS = 4;
    public static final int WORDS = HEADER_WORDS + 2 * DIGITS;

    public static final int TAG = 0;
    public static final int PENDING = 1;
    public static final int FLAGS = 2;
    public static final int COUNT = 3;
    public static final int WEIGHT_DIGITS = HEADER_WORDS;
    public static final int PRODUCT_DIGITS = HEADER_WORDS + DIGITS;

    /**
     * How many additions one digit may take between two carry propagations without overflowing; the
     * PENDING word bounds the additions made since the last one.
     */
    public static final long CARRY_LIMIT = 1L << 30;

    public static final int FLAG_WEIGHT_NAN = 1;
    public static final int FLAG_WEIGHT_POS_INF = 2;
    public static final int FLAG_WEIGHT_NEG_INF = 4;
    public static final int FLAG_PRODUCT_NAN = 8;
    public static final int FLAG_PRODUCT_POS_INF = 16;
    public static final int FLAG_PRODUCT_NEG_INF = 32;

    private StateLayout() {}

    public static long[] newState() {
        long[] state = new long[WORDS];
        state[TAG] = LAYOUT_TAG;
        return state;
    }
}
