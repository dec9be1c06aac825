package io.wavg.kernel;

import static io.wavg.kernel.StateLayout.*;

/**
 * The pure-Java kernel: exact accumulation into the same state layout as native/wavg.c, by the same
 * method (FMA products, two extraction levels per block with guessed bounds checked as it goes,
 * fixed-point digits for the rest). Where the JVM has the incubating Vector API loaded
 * ({@code --add-modules jdk.incubator.vector}) and the CPU has at least 256-bit vectors, the guessed pass
 * runs on SIMD lanes ({@link VectorExtraction}); elsewhere it is scalar.
 * Both are exact, so after {@link #normalize} their states are identical word for word. Used where no
 * bundled native library fits the platform, or on request.
 */
public final class JavaKernel implements WeightedAvgKernel {
    /** SIMD where the JVM offers it, scalar otherwise. */
    public static final JavaKernel INSTANCE = new JavaKernel(vectorApiUsable(), "java");
    /** Always scalar, whatever the JVM offers: for comparison. */
    public static final JavaKernel SCALAR = new JavaKernel(false, "java-scalar");

    private static final long FRACTION_MASK = (1L << 52) - 1;
    private static final long HIDDEN_BIT = 1L << 52;
    private static final long DIGIT_MASK = 0xffffffffL;
    private static final int EXPONENT_MAX = 0x7ff;
    private static final int BLOCK = 1 << Extraction.BLOCK_BITS; // pairs whose level sums stay exact
    /**
     * Per-thread copies of a block (the careful route clobbers them; callers' arrays stay intact) and
     * room for the bits a speculative pass holds back.
     */
    private static final ThreadLocal<double[][]> BLOCKS =
            ThreadLocal.withInitial(() -> new double[][] {new double[BLOCK], new double[BLOCK], new double[3 * BLOCK]});
    /** Headroom of a guessed bound over the last block's largest magnitude, as in native/wavg.c. */
    private static final double GUESS_HEADROOM = 16.0;
    /** Blocks measured before guessing again after a guess failed, as in native/wavg.c. */
    private static final int PAUSE_AFTER_FAILURE = 4;

    private final boolean simd;
    private final String name;

    /**
     * Bounds on |w| and |w * v| guessed for the next block of a call; 0 for none. measured: they came
     * from a whole block, not from the first pair of a call, so a failure says the data changed.
     */
    private static final class Guess {
        double weight;
        double product;
        int pause;
        boolean measured;

        void set(double maxWeight, double maxProduct) {
            // bounds inside the fast range keep every sigma a normal number
            boolean usable = maxWeight >= 0x1p-450 && maxProduct >= 0x1p-900
                    && maxWeight * GUESS_HEADROOM <= 0x1p450 && maxProduct * GUESS_HEADROOM <= 0x1p900;
            weight = usable ? maxWeight * GUESS_HEADROOM : 0.0;
            product = usable ? maxProduct * GUESS_HEADROOM : 0.0;
            measured = true;
        }
    }

    private JavaKernel(boolean simd, String name) {
        this.simd = simd;
        this.name = name;
    }

    /**
     * The module must be checked first: VectorExtraction cannot even be loaded without it. Should it fail
     * to set up all the same, the scalar pass serves.
     */
    private static boolean vectorApiUsable() {
        try {
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && VectorExtraction.worthwhile();
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** Doubles the guessed pass takes at once: 1 when scalar. */
    public int lanes() {
        return simd ? VectorExtraction.LANES : 1;
    }

    @Override
    public void addPairs(long[] state, double[] pairs, int n) {
        double[][] block = BLOCKS.get();
        Guess guess = new Guess();
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            for (int i = 0; i < count; i++) {
                block[0][i] = pairs[2 * (done + i)];
                block[1][i] = pairs[2 * (done + i) + 1];
            }
            addBlock(state, block[0], block[1], 0, count, count, guess);
        }
    }

    @Override
    public void addColumns(long[] state, double[] weights, double[] values, byte[] weightNulls, byte[] valueNulls,
                           int n) {
        double[][] block = BLOCKS.get();
        Guess guess = new Guess();
        for (int done = 0; done < n; done += BLOCK) {
            int count = Math.min(BLOCK, n - done);
            if (weightNulls == null && valueNulls == null) {
                addBlock(state, weights, values, done, count, count, guess);
                continue;
            }
            int kept = 0;
            for (int i = done; i < done + count; i++) {
                if ((weightNulls == null || weightNulls[i] == 0) && (valueNulls == null || valueNulls[i] == 0)) {
                    block[0][kept] = weights[i];
                    block[1][kept] = values[i];
                    kept++;
                }
            }
            addBlock(state, block[0], block[1], 0, kept, count, guess);
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

    /**
     * Adds pairs {@code from} to {@code from + n} of {@code w} and {@code v} exactly, the way native/wavg.c
     * does: first in one pass with sigmas from the bounds {@code guess} holds (|w|, |w * v|; zero for none),
     * kept only if the pass shows they held; otherwise pairs within the range where an FMA splits w * v
     * into hi + lo exactly are summed by two {@link Extraction} levels per stream after a pass that
     * measures the block, and what the levels leave, and every other pair, goes to the digits. {@code rows}
     * is what the block stood for, NULLs included, for carry accounting. The guess becomes the block's
     * bounds with some headroom.
     */
    private void addBlock(long[] state, double[] w, double[] v, int from, int n, int rows, Guess guess) {
        // per digit: a slow pair or a residual of w, residuals of hi and lo, and the six level sums
        if (state[PENDING] + 2L * rows + 6 > CARRY_LIMIT) {
            normalize(state);
        }
        state[PENDING] += 2L * rows + 6;
        state[COUNT] += n;
        double[][] block = BLOCKS.get();
        if (guess.pause > 0) {
            guess.pause--;
        } else {
            if (guess.weight == 0.0 && n > 0) {
                guess.set(Math.abs(w[from]), Math.abs(w[from] * v[from]));
                guess.measured = false;
            }
            if (guess.weight > 0.0) {
                // one pass with the guessed sigmas, kept only if it shows the guess held
                double[] sigma = Extraction.sigmasFor(guess.weight, guess.product);
                Pass pass = new Pass();
                int scalarFrom = from;
                int onLanes = simd ? n - n % VectorExtraction.LANES : 0;
                if (onLanes > 0) {
                    if (VectorExtraction.extract(w, v, from, onLanes, sigma, pass)) {
                        scalarFrom = from + onLanes;
                    } else {
                        pass = new Pass();
                    }
                }
                extract(w, v, scalarFrom, from + n, sigma, block[2], pass);
                if (Double.isFinite(pass.total()) && pass.leastProduct >= 0x1p-900 && pass.maxWeight <= guess.weight
                        && pass.maxProduct <= guess.product) {
                    pass.addTo(state, block[2]);
                    guess.set(pass.maxWeight, pass.maxProduct);
                    return;
                }
                guess.pause = guess.measured ? PAUSE_AFTER_FAILURE : 0;
            }
        }
        // the careful route works on a copy it may clobber
        if (w != block[0]) {
            System.arraycopy(w, from, block[0], 0, n);
            System.arraycopy(v, from, block[1], 0, n);
        }
        w = block[0];
        v = block[1];
        // measure first: pairs outside the fast range go to the digits, the rest are extracted
        double maxW = 0.0;
        double maxV = 0.0;
        for (int i = 0; i < n; i++) {
            if (Extraction.inFastRange(w[i]) && Extraction.inFastRange(v[i])) {
                maxW = Math.max(maxW, Math.abs(w[i]));
                maxV = Math.max(maxV, Math.abs(v[i]));
            } else {
                addPair(state, w[i], v[i]);
                w[i] = 0.0;
                v[i] = 0.0;
            }
        }
        guess.set(maxW, maxW * maxV);
        Pass pass = new Pass();
        extract(w, v, 0, n, Extraction.sigmas(maxW, maxV), block[2], pass);
        pass.addTo(state, block[2]);
    }

    /** What an extraction pass over a block took and measured; the bits below the levels are in held. */
    static final class Pass {
        double sumW1, sumW2, sumH1, sumH2, sumL1, sumL2;
        double maxWeight;
        double maxProduct;
        double leastProduct = Double.POSITIVE_INFINITY;
        int heldWeights;
        int heldProducts = BLOCK;

        double total() {
            return sumW1 + sumW2 + sumH1 + sumH2 + sumL1 + sumL2;
        }

        void addTo(long[] state, double[] held) {
            for (int k = 0; k < heldWeights; k++) {
                addDouble(state, WEIGHT_DIGITS, held[k]);
            }
            for (int k = BLOCK; k < heldProducts; k++) {
                addDouble(state, PRODUCT_DIGITS, held[k]);
            }
            addDouble(state, WEIGHT_DIGITS, sumW1);
            addDouble(state, WEIGHT_DIGITS, sumW2);
            addDouble(state, PRODUCT_DIGITS, sumH1);
            addDouble(state, PRODUCT_DIGITS, sumH2);
            addDouble(state, PRODUCT_DIGITS, sumL1);
            addDouble(state, PRODUCT_DIGITS, sumL2);
        }
    }

    /**
     * Splits each product of pairs {@code from} to {@code to} exactly (hi + lo, one FMA) and takes two
     * {@link Extraction} levels of w, hi and lo with the given sigmas into {@code pass}; what the levels
     * leave goes to {@code held} (weights from 0, products from BLOCK), NaN included, so nothing reaches
     * the state until the caller accepts the pass. Measures the largest |w|, the largest and smallest
     * |w * v| as it goes.
     */
    private static void extract(double[] w, double[] v, int from, int to, double[] sigma, double[] held, Pass pass) {
        double w1 = sigma[Extraction.W1];
        double w2 = sigma[Extraction.W2];
        double h1 = sigma[Extraction.H1];
        double h2 = sigma[Extraction.H2];
        double l1 = sigma[Extraction.L1];
        double l2 = sigma[Extraction.L2];
        double sumW1 = pass.sumW1, sumW2 = pass.sumW2, sumH1 = pass.sumH1, sumH2 = pass.sumH2, sumL1 = pass.sumL1,
                sumL2 = pass.sumL2;
        double maxW = pass.maxWeight;
        double maxH = pass.maxProduct;
        double leastH = pass.leastProduct;
        int heldWeights = pass.heldWeights;
        int heldProducts = pass.heldProducts;
        for (int i = from; i < to; i++) {
            double x = w[i];
            double hi = x * v[i];
            double lo = Math.fma(x, v[i], -hi);
            double size = Math.abs(hi);
            double weight = Math.abs(x);
            maxW = weight > maxW ? weight : maxW;
            maxH = size > maxH ? size : maxH;
            leastH = size < leastH ? size : leastH;
            double part = (w1 + x) - w1;
            x -= part;
            sumW1 += part;
            part = (w2 + x) - w2;
            sumW2 += part;
            x -= part;
            part = (h1 + hi) - h1;
            hi -= part;
            sumH1 += part;
            part = (h2 + hi) - h2;
            sumH2 += part;
            hi -= part;
            part = (l1 + lo) - l1;
            lo -= part;
            sumL1 += part;
            part = (l2 + lo) - l2;
            sumL2 += part;
            lo -= part;
            if (x != 0.0 || hi != 0.0 || lo != 0.0) {
                // rare in data of steady magnitude
                if (x != 0.0) {
                    held[heldWeights++] = x;
                }
                if (hi != 0.0) {
                    held[heldProducts++] = hi;
                }
                if (lo != 0.0) {
                    held[heldProducts++] = lo;
                }
            }
        }
        pass.sumW1 = sumW1;
        pass.sumW2 = sumW2;
        pass.sumH1 = sumH1;
        pass.sumH2 = sumH2;
        pass.sumL1 = sumL1;
        pass.sumL2 = sumL2;
        pass.maxWeight = maxW;
        pass.maxProduct = maxH;
        pass.leastProduct = leastH;
        pass.heldWeights = heldWeights;
        pass.heldProducts = heldProducts;
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
        addDouble(state, WEIGHT_DIGITS, bits);
    }

    private static void addDouble(long[] state, int digits, double x) {
        addDouble(state, digits, Double.doubleToRawLongBits(x));
    }

    /** Adds a finite double to the sum whose digits start at {@code digits}. */
    private static void addDouble(long[] state, int digits, long bits) {
        long m = significand(bits);
        int pos = biasedExponent(bits) + (BIAS_BITS - 1075);
        int at = digits + (pos >>> 5);
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
