package io.wavg.kernel;

/**
 * The exact summation both Java accumulators use, as native/wavg.c does: with sigma = 1.5 * 2^s,
 * (sigma + x) - sigma is x cut to a multiple of 2^(s-52) without error, for |x| <= 2^(s-1-BLOCK_BITS),
 * and up to 2^BLOCK_BITS such parts sum exactly in a double. What a level leaves is at most 2^(s-53),
 * which the next level, {@link #LEVEL_STEP} bits lower, takes.
 */
public final class Extraction {
    /** log2 of how many parts a level sum may take before it could round. */
    public static final int BLOCK_BITS = 10;
    public static final int LEVEL_STEP = 52 - BLOCK_BITS;
    /** Indexes into {@link #sigmas}: two levels each for w, hi and lo, where w * v = hi + lo. */
    public static final int W1 = 0, W2 = 1, H1 = 2, H2 = 3, L1 = 4, L2 = 5, LEVELS = 6;

    private Extraction() {}

    /** |x| in [2^-450, 2^451) or zero: an FMA splits a product of two such values into hi + lo exactly. */
    public static boolean inFastRange(double x) {
        double a = Math.abs(x);
        return a == 0.0 || (a >= 0x1p-450 && a < 0x1p451);
    }

    /**
     * The six sigmas for pairs with |w| <= maxWeight and |v| <= maxValue, both in the fast range:
     * |hi| <= fl(maxWeight * maxValue) as rounding is monotonic, and |lo| <= ulp(hi) / 2. A zero bound
     * stands for 1: any larger bound is as exact.
     */
    public static double[] sigmas(double maxWeight, double maxValue) {
        double w = maxWeight == 0.0 ? 1.0 : maxWeight;
        double v = maxValue == 0.0 ? 1.0 : maxValue;
        return sigmasFor(w, w * v);
    }

    /** The six sigmas from bounds on |w| and on |hi| = |fl(w * v)| themselves, both positive. */
    static double[] sigmasFor(double maxWeight, double maxProduct) {
        int sw = Math.getExponent(maxWeight) + 2 + BLOCK_BITS;
        int eh = Math.getExponent(maxProduct);
        int sh = eh + 2 + BLOCK_BITS;
        int sl = eh - 53 + 2 + BLOCK_BITS;
        return new double[] {
            Math.scalb(1.5, sw), Math.scalb(1.5, sw - LEVEL_STEP),
            Math.scalb(1.5, sh), Math.scalb(1.5, sh - LEVEL_STEP),
            Math.scalb(1.5, sl), Math.scalb(1.5, sl - LEVEL_STEP)};
    }
}
