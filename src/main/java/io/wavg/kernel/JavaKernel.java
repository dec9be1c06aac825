package io.wavg.kernel;

import static io.wavg.kernel.StateLayout.*;

/**
 * The pure-Java kernel: exact fixed-point accumulation into the same state layout as native/wavg.c.
 * Both are exact, so after {@link #normalize} their states are identical word for word. Used where no
 * bundled native library fits the platform, or on request.
 */
public final class JavaKernel implements WeightedAvgKernel {
    public static final JavaKernel INSTANCE = new JavaKernel();

    private static final long FRACTION_MASK = (1L << 52) - 1;
    private static final long HIDDEN_BIT = 1L << 52;
    private static final long DIGIT_MASK = 0xffffffffL;
    private static final int EXPONENT_MAX = 0x7ff;

    private JavaKernel() {}

    @Override
    public String name() {
        return "java";
    }

    @Override
    public void addPairs(long[] state, double[] pairs, int n) {
        int done = 0;
        while (done < n) {
            int chunk = room(state, n - done);
            for (int i = done; i < done + chunk; i++) {
                addPair(state, pairs[2 * i], pairs[2 * i + 1]);
            }
            state[PENDING] += chunk;
            state[COUNT] += chunk;
            done += chunk;
        }
    }

    @Override
    public void addColumns(long[] state, double[] weights, double[] values, byte[] weightNulls, byte[] valueNulls,
                           int n) {
        int done = 0;
        while (done < n) {
            int chunk = room(state, n - done);
            int added = 0;
            for (int i = done; i < done + chunk; i++) {
                if ((weightNulls == null || weightNulls[i] == 0) && (valueNulls == null || valueNulls[i] == 0)) {
                    addPair(state, weights[i], values[i]);
                    added++;
                }
            }
            state[PENDING] += chunk;
            state[COUNT] += added;
            done += chunk;
        }
    }

    @Override
    public void normalize(long[] state) {
        normalizeDigits(state, WEIGHT_DIGITS);
        normalizeDigits(state, PRODUCT_DIGITS);
        state[PENDING] = 0;
    }

    /** Adds one pair; the caller accounts for it in PENDING and COUNT. */
    static void addPair(long[] state, double w, double v) {
        long wb = Double.doubleToRawLongBits(w);
        long vb = Double.doubleToRawLongBits(v);
        if (isNonFinite(wb) || isNonFinite(vb)) {
            addNonFinite(state, w, v);
            return;
        }
        addWeight(state, wb);
        addProduct(state, wb, vb);
    }

    private static int room(long[] state, int wanted) {
        if (state[PENDING] >= CARRY_LIMIT) {
            INSTANCE.normalize(state);
        }
        return (int) Math.min(wanted, CARRY_LIMIT - state[PENDING]);
    }

    private static boolean isNonFinite(long bits) {
        return ((int) (bits >>> 52) & EXPONENT_MAX) == EXPONENT_MAX;
    }

    private static int biasedExponent(long bits) {
        return Math.max((int) (bits >>> 52) & EXPONENT_MAX, 1);
    }

    private static long significand(long bits) {
        long m = bits & FRACTION_MASK;
        return ((bits >>> 52) & EXPONENT_MAX) != 0 ? m | HIDDEN_BIT : m;
    }

    private static void addWeight(long[] state, long bits) {
        long m = significand(bits);
        int pos = biasedExponent(bits) + (BIAS_BITS - 1075);
        int at = WEIGHT_DIGITS + (pos >>> 5);
        int shift = pos & 31;
        long sign = bits >> 63;
        long low = m << shift; // bits 0..63 of m * 2^shift, which is below 2^85
        long d0 = low & DIGIT_MASK;
        long d1 = low >>> 32;
        long d2 = (m >>> 1) >>> (63 - shift);
        state[at] += (d0 ^ sign) - sign;
        state[at + 1] += (d1 ^ sign) - sign;
        state[at + 2] += (d2 ^ sign) - sign;
    }

    private static void addProduct(long[] state, long wbits, long vbits) {
        long mw = significand(wbits);
        long mv = significand(vbits);
        int pos = biasedExponent(wbits) + biasedExponent(vbits) + (BIAS_BITS - 2 * 1075);
        int at = PRODUCT_DIGITS + (pos >>> 5);
        int shift = pos & 31;
        long productLow = mw * mv; // the product is below 2^106: two words hold it exactly
        long productHigh = Math.multiplyHigh(mw, mv);
        long sign = (wbits ^ vbits) >> 63;
        long low = productLow << shift;
        long high = (productHigh << shift) | ((productLow >>> 1) >>> (63 - shift));
        long d0 = low & DIGIT_MASK;
        long d1 = low >>> 32;
        long d2 = high & DIGIT_MASK;
        long d3 = high >>> 32;
        long d4 = (productHigh >>> 1) >>> (63 - shift);
        state[at] += (d0 ^ sign) - sign;
        state[at + 1] += (d1 ^ sign) - sign;
        state[at + 2] += (d2 ^ sign) - sign;
        state[at + 3] += (d3 ^ sign) - sign;
        state[at + 4] += (d4 ^ sign) - sign;
    }

    /** IEEE rules for a pair with an infinity or NaN; a finite weight still goes to the digits. */
    private static void addNonFinite(long[] state, double w, double v) {
        if (Double.isNaN(w)) {
            state[FLAGS] |= FLAG_WEIGHT_NAN;
        } else if (Double.isInfinite(w)) {
            state[FLAGS] |= w > 0 ? FLAG_WEIGHT_POS_INF : FLAG_WEIGHT_NEG_INF;
        } else {
            addWeight(state, Double.doubleToRawLongBits(w));
        }
        double product = w * v; // never finite here: only its class matters
        if (Double.isNaN(product)) {
            state[FLAGS] |= FLAG_PRODUCT_NAN;
        } else {
            state[FLAGS] |= product > 0 ? FLAG_PRODUCT_POS_INF : FLAG_PRODUCT_NEG_INF;
        }
    }

    private static void normalizeDigits(long[] state, int from) {
        long carry = 0;
        for (int i = from; i < from + DIGITS - 1; i++) {
            long d = state[i] + carry;
            carry = d >> 32;
            state[i] = d & DIGIT_MASK;
        }
        state[from + DIGITS - 1] += carry;
    }
}
