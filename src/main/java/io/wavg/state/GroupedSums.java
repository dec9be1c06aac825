package io.wavg.state;

import java.util.Arrays;

import io.wavg.kernel.Extraction;

/**
 * Exact weighted sums for many groups whose pairs arrive one at a time, in about 60 bytes per group.
 *
 * <p>Each group keeps six doubles: two extraction levels for each of w, hi and lo, where w * v = hi + lo
 * exactly (one FMA). With sigma = 1.5 * 2^s above the split's largest magnitude,
 * (sigma + x) - sigma is x cut to a multiple of 2^(s-52) without error, and up to 2^BLOCK_BITS such
 * parts sum exactly in a double ({@link Extraction}); before that many, a group's level sums are folded into an exact
 * {@link WeightedSum}. Two levels hold every bit of typical data; the bits left below them, and pairs
 * outside the bounds (huge, tiny, NaN, infinite), go straight to the group's exact sum, which only such
 * groups ever allocate.
 *
 * <p>The levels are placed from bounds on |w| and |v|: given ones (row-group statistics), or, where they
 * are unknown or a batch goes past them, bounds taken from the batch with some headroom; moving the
 * levels first folds every group's level sums, so that happens a few times a split at most.
 */
public final class GroupedSums {
    private static final int FOLD = 1 << Extraction.BLOCK_BITS;
    /** Rows of one group in a row from which they are added with the group's sums held in locals. */
    private static final int RUN = 8;
    private static final int W1 = Extraction.W1, W2 = Extraction.W2, H1 = Extraction.H1, H2 = Extraction.H2,
            L1 = Extraction.L1, L2 = Extraction.L2, LEVELS = Extraction.LEVELS;

    /** Bounds learnt from a batch are this many binary orders above its largest magnitude. */
    private static final int HEADROOM_BITS = 1;
    /** The largest bound the levels take: products of values within it split exactly (Extraction). */
    private static final double LARGEST_BOUND = 0x1p450;

    private boolean fast;
    private double maxWeight;
    private double maxValue;
    private double[] sigma;
    private double[] sums = new double[0];
    private long[] counts = new long[0];
    private short[] sinceFold = new short[0];
    private WeightedSum[] exact = new WeightedSum[0];
    private final WeightedSum scratch = new WeightedSum();

    /**
     * @param maxWeight an upper bound on |weight| over the pairs to come, or NaN if unknown
     * @param maxValue  an upper bound on |value|, or NaN if unknown
     */
    public GroupedSums(double maxWeight, double maxValue) {
        place(maxWeight, maxValue);
    }

    private void place(double maxWeight, double maxValue) {
        // any larger bound is as exact; zero (all zeros) has no exponent, so 1 stands in for it
        this.maxWeight = maxWeight == 0.0 ? 1.0 : maxWeight;
        this.maxValue = maxValue == 0.0 ? 1.0 : maxValue;
        this.fast = Extraction.inFastRange(this.maxWeight) && Extraction.inFastRange(this.maxValue);
        this.sigma = fast ? Extraction.sigmas(this.maxWeight, this.maxValue) : null;
    }

    /** Makes sure group ids below {@code groups} can be used. */
    public void ensureGroups(int groups) {
        if (groups > counts.length) {
            int capacity = Math.max(groups, Math.max(16, counts.length * 2));
            sums = Arrays.copyOf(sums, LEVELS * capacity);
            counts = Arrays.copyOf(counts, capacity);
            sinceFold = Arrays.copyOf(sinceFold, capacity);
            exact = Arrays.copyOf(exact, capacity);
        }
    }

    /**
     * Adds the pairs of rows 0..n-1 to their groups ({@code groups[i]}, -1 for none), but rows where
     * {@code skip} (null for none) is non-zero; group ids below {@link #ensureGroups} only.
     */
    public void addAll(int[] groups, double[] weights, double[] values, byte[] skip, int n) {
        double batchWeight = 0.0;
        double batchValue = 0.0;
        for (int i = 0; i < n; i++) {
            if (groups[i] >= 0 && (skip == null || skip[i] == 0)) {
                batchWeight = largerFinite(batchWeight, weights[i]);
                batchValue = largerFinite(batchValue, values[i]);
            }
        }
        if (!fast || batchWeight > maxWeight || batchValue > maxValue) {
            widen(batchWeight, batchValue);
        }
        for (int i = 0; i < n; ) {
            int group = groups[i];
            int end = i + 1;
            while (end < n && groups[end] == group) {
                end++;
            }
            if (group >= 0 && fast && end - i >= RUN) { // without fast levels every pair goes to the exact sum
                addRun(group, weights, values, skip, i, end);
            } else if (group >= 0) {
                for (int j = i; j < end; j++) {
                    if (skip == null || skip[j] == 0) {
                        add(group, weights[j], values[j]);
                    }
                }
            }
            i = end;
        }
    }

    /**
     * Adds rows {@code from..to-1}, all of one group (a partition column's batch, a sorted or skewed
     * key), as {@link #add} would, with the group's level sums held in locals rather than in the array.
     */
    private void addRun(int group, double[] weights, double[] values, byte[] skip, int from, int to) {
        int at = LEVELS * group;
        double w1 = sums[at + W1], w2 = sums[at + W2], h1 = sums[at + H1], h2 = sums[at + H2];
        double l1 = sums[at + L1], l2 = sums[at + L2];
        double sw1 = sigma[W1], sw2 = sigma[W2], sh1 = sigma[H1], sh2 = sigma[H2], sl1 = sigma[L1], sl2 = sigma[L2];
        int since = sinceFold[group];
        long fastPairs = 0;
        for (int i = from; i < to; i++) {
            double weight = weights[i];
            double value = values[i];
            if (skip != null && skip[i] != 0) {
                continue;
            }
            if (!inLevels(weight, value)) {
                exactSum(group).addPair(weight, value);
                continue;
            }
            fastPairs++;
            double hi = weight * value;
            double lo = Math.fma(weight, value, -hi);
            double part = (sw1 + weight) - sw1;
            double rest = weight - part;
            w1 += part;
            part = (sw2 + rest) - sw2;
            w2 += part;
            double restWeight = rest - part;
            part = (sh1 + hi) - sh1;
            rest = hi - part;
            h1 += part;
            part = (sh2 + rest) - sh2;
            h2 += part;
            double restProduct = rest - part;
            part = (sl1 + lo) - sl1;
            rest = lo - part;
            l1 += part;
            part = (sl2 + rest) - sl2;
            l2 += part;
            double restError = rest - part;
            if (restWeight != 0.0 || restProduct != 0.0 || restError != 0.0) {
                WeightedSum sum = exactSum(group);
                sum.addParts(restWeight, restProduct, 0);
                sum.addParts(0.0, restError, 0);
            }
            if (++since == FOLD) {
                sums[at + W1] = w1; sums[at + W2] = w2; sums[at + H1] = h1; sums[at + H2] = h2;
                sums[at + L1] = l1; sums[at + L2] = l2;
                fold(group);
                w1 = w2 = h1 = h2 = l1 = l2 = 0.0;
                since = 0;
            }
        }
        sums[at + W1] = w1; sums[at + W2] = w2; sums[at + H1] = h1; sums[at + H2] = h2;
        sums[at + L1] = l1; sums[at + L2] = l2;
        sinceFold[group] = (short) since;
        counts[group] += fastPairs;
    }

    /** The larger of a running maximum and |x|, where x is in the range the levels can take. */
    private static double largerFinite(double max, double x) {
        double magnitude = Math.abs(x);
        return magnitude > max && magnitude <= LARGEST_BOUND ? magnitude : max;
    }

    /** Moves the levels up to cover the magnitudes given, with headroom; folds every group first. */
    private void widen(double batchWeight, double batchValue) {
        double weight = headroom(fast ? Math.max(maxWeight, batchWeight) : batchWeight);
        double value = headroom(fast ? Math.max(maxValue, batchValue) : batchValue);
        if (fast) {
            for (int g = 0; g < sinceFold.length; g++) {
                if (sinceFold[g] != 0) { // unused ids have nothing to fold
                    fold(g);
                }
            }
        }
        place(weight, value);
    }

    private static double headroom(double magnitude) {
        return magnitude == 0.0 ? 0.0 : Math.min(LARGEST_BOUND, Math.scalb(magnitude, HEADROOM_BITS));
    }

    /** Whether a pair lies within the bounds the levels were placed for (NaN and infinities do not). */
    private boolean inLevels(double weight, double value) {
        return Math.abs(weight) <= maxWeight && Math.abs(value) <= maxValue
                && Extraction.inFastRange(weight) && Extraction.inFastRange(value);
    }

    /** Adds one non-NULL pair to a group (see {@link #ensureGroups}). */
    public void add(int group, double weight, double value) {
        if (!fast || !inLevels(weight, value)) {
            exactSum(group).addPair(weight, value);
            return;
        }
        counts[group]++;
        double hi = weight * value;
        double lo = Math.fma(weight, value, -hi);
        int at = LEVELS * group;
        double restWeight = twoLevels(weight, at, W1);
        double restProduct = twoLevels(hi, at, H1);
        double restError = twoLevels(lo, at, L1);
        if (restWeight != 0.0 || restProduct != 0.0 || restError != 0.0) {
            WeightedSum sum = exactSum(group);
            sum.addParts(restWeight, restProduct, 0);
            sum.addParts(0.0, restError, 0);
        }
        if (++sinceFold[group] == FOLD) {
            fold(group);
        }
    }

    /**
     * Takes two levels of x, with sigmas s and s + 1, into the group's sums at {@code at + s} and
     * {@code at + s + 1}; returns what lies below them.
     */
    private double twoLevels(double x, int at, int s) {
        double part = (sigma[s] + x) - sigma[s];
        x -= part;
        sums[at + s] += part;
        part = (sigma[s + 1] + x) - sigma[s + 1];
        sums[at + s + 1] += part;
        return x - part;
    }

    private WeightedSum exactSum(int group) {
        WeightedSum sum = exact[group];
        return sum != null ? sum : (exact[group] = new WeightedSum());
    }

    /** Moves a group's level sums into its exact sum before they could round. */
    private void fold(int group) {
        int at = LEVELS * group;
        WeightedSum sum = exactSum(group);
        sum.addParts(sums[at + W1], sums[at + H1], 0);
        sum.addParts(sums[at + W2], sums[at + H2], 0);
        sum.addParts(0.0, sums[at + L1], 0);
        sum.addParts(0.0, sums[at + L2], 0);
        Arrays.fill(sums, at, at + LEVELS, 0.0);
        sinceFold[group] = 0;
    }

    /**
     * The serialized form of the group's complete exact state; the group's accumulators are spent. A
     * group without outliers (most of them) is summed in one reused state, so taking makes no objects
     * but the bytes.
     */
    public byte[] takeSerialized(int group) {
        WeightedSum sum = exact[group];
        if (sum == null) {
            scratch.clear();
            sum = exact[group] = scratch;
        }
        fold(group);
        exact[group] = null;
        sum.addParts(0.0, 0.0, counts[group]);
        return sum.serialize();
    }
}
