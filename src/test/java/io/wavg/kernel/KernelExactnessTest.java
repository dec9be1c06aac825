package io.wavg.kernel;

import static io.wavg.kernel.TestKernels.assertSameAverage;
import static io.wavg.kernel.TestKernels.assertSameCAverage;
import static io.wavg.kernel.TestKernels.assertSameDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import io.wavg.state.ExactReference;
import io.wavg.state.WeightedSum;
import org.junit.jupiter.api.Test;

/**
 * Every route to a result must give the exact Σ(w·v)/Σw and Σw correctly rounded: the Java and the
 * native kernel folded into WeightedSum, the C rounding of a state (wavg_result) and the C ABI users
 * call (weighted_avg). The oracle is {@link ExactReference}, which shares no code with production.
 *
 * <p>Signed zeros, as implemented and asserted here: an exactly zero sum or average is +0.0 (even
 * for sums of -0.0 weights, where IEEE addition would give -0.0); a non-zero average that underflows
 * to zero keeps its sign, as IEEE division does.
 */
class KernelExactnessTest {
    private static final double MIN = Double.MIN_VALUE;

    /** Checks one dataset on every route against the reference and returns the reference. */
    static ExactReference.Sums assertExact(String label, double[] pairs) {
        int n = pairs.length / 2;
        ExactReference.Sums reference = ExactReference.sums(pairs, n);
        double total = reference.totalWeight();
        Double average = reference.average();
        NativeKernel nativeKernel = TestKernels.nativeKernel();

        double[] weights = new double[n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            weights[i] = pairs[2 * i];
            values[i] = pairs[2 * i + 1];
        }
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JavaKernel.INSTANCE, JavaKernel.SCALAR, nativeKernel}) {
            long[] byPairs = TestKernels.stateOf(kernel, pairs, n);
            long[] byColumns = StateLayout.newState();
            kernel.addColumns(byColumns, weights, values, null, null, n);
            TestKernels.assertSameState(byPairs, byColumns, label + ": addPairs and addColumns states differ, " + kernel.name());

            String route = label + " [" + kernel.name() + " kernel";
            double[] c = nativeKernel.result(byPairs); // before normalize: wavg_result normalizes a copy
            assertSameDouble(total, c[0], route + ", wavg_result total]");
            assertSameCAverage(average, c[1], route + ", wavg_result average]");

            kernel.normalize(byPairs);
            assertEquals(0, ExactReference.digitsValue(byPairs, StateLayout.WEIGHT_DIGITS, StateLayout.DIGITS,
                    StateLayout.BIAS_BITS).compareTo(reference.weight()), route + "] state holds the exact Σw");
            assertEquals(0, ExactReference.digitsValue(byPairs, StateLayout.PRODUCT_DIGITS, StateLayout.DIGITS,
                    StateLayout.BIAS_BITS).compareTo(reference.product()), route + "] state holds the exact Σ(w·v)");
            WeightedSum sum = new WeightedSum();
            sum.addKernelState(byPairs);
            assertEquals(n, sum.count(), route + "] count");
            assertSameDouble(total, sum.totalWeight(), route + ", WeightedSum total]");
            assertSameAverage(average, sum.average(), route + ", WeightedSum average]");
        }
        double[] abi = nativeKernel.weightedAvg(pairs, n);
        assertSameDouble(total, abi[0], label + " [C ABI weighted_avg total]");
        assertSameCAverage(average, abi[1], label + " [C ABI weighted_avg average]");
        return reference;
    }

    static double[] pairs(double... interleaved) {
        return interleaved;
    }

    @Test
    void exampleFromTheDocs() {
        ExactReference.Sums r = assertExact("(10,2),(20,1)", pairs(10, 2, 20, 1));
        assertEquals(30.0, r.totalWeight());
        assertEquals(1.3333333333333333, r.average());
        double[] abi = TestKernels.nativeKernel().weightedAvg(pairs(10, 2, 20, 1), 2);
        assertArrayEquals(new double[] {30.0, 1.3333333333333333}, abi);
    }

    @Test
    void weightCancellationThatNaiveSummingLoses() {
        // naive double summing gives Σw = 0 here, and so no average at all
        ExactReference.Sums r = assertExact("1e16, 1, -1e16", pairs(1e16, 1, 1, 1, -1e16, 1));
        assertEquals(1.0, r.totalWeight());
        assertEquals(1.0, r.average());
    }

    @Test
    void productsBeyondTheDoubleRange() {
        // 1e10 * 3e300 overflows a double; the exact sums do not
        ExactReference.Sums r = assertExact("1e300, 3e300", pairs(1e10, 1e300, 1e10, 3e300));
        assertEquals(2e10, r.totalWeight());
        assertEquals(2e300, r.average());
    }

    @Test
    void weightsSummingToExactlyZeroHaveNoAverage() {
        assertNull(assertExact("1+2-3", pairs(1, 5, 2, 7, -3, 1)).average());
        assertNull(assertExact("0.1-0.1", pairs(0.1, 3, -0.1, 4)).average());
        assertNull(assertExact("subnormal ±", pairs(MIN, 1e300, -MIN, -2)).average());
        assertNull(assertExact("big ±", pairs(Double.MAX_VALUE, 1, Double.MAX_VALUE, 2, -Double.MAX_VALUE, 3,
                -Double.MAX_VALUE, 4)).average());
        assertNull(assertExact("zero weights", pairs(0.0, 1, -0.0, 2, 0.0, -3)).average());
        assertNull(assertExact("empty", new double[0]).average());
        // Σw is an exact zero: +0.0, even for -0.0 weights only
        assertSameDouble(0.0, assertExact("-0.0 weights", pairs(-0.0, 1, -0.0, 2)).totalWeight(), "Σ of -0.0");
    }

    @Test
    void cancellationInWeightsAndProducts() {
        assertExact("weights cancel down to 1e-308", pairs(1e308, 1, -1e308, 2, 1e-308, 3)); // average is -1e616: -Inf
        assertExact("products cancel", pairs(1, 1e300, 1, -1e300, 1, 1));
        assertExact("both cancel", pairs(1e200, 1e100, -1e200, 1e100, 3, 0.1, 1e-200, -1e200, 4, 7));
        assertExact("1 - 3 weights", pairs(0.1, 0.2, 0.2, 0.1, -0.30000000000000004, 0.3));
    }

    @Test
    void signedZeroResults() {
        // the average is exactly zero while Σw < 0: IEEE would give -0.0, the exact path gives +0.0
        ExactReference.Sums r = assertExact("exact zero average", pairs(-1, 1, -1, -1));
        assertSameDouble(0.0, r.average(), "exact zero average");
        assertSameDouble(0.0, assertExact("zero values", pairs(3, 0.0, 4, -0.0)).average(), "zero values");
        // a negative average too small for any subnormal rounds to -0.0
        r = assertExact("negative underflow", pairs(MIN, -MIN, 1e300, 0.0));
        assertSameDouble(-0.0, r.average(), "negative underflow");
        r = assertExact("positive underflow", pairs(MIN, MIN, 1e300, 0.0));
        assertSameDouble(0.0, r.average(), "positive underflow");
    }

    @Test
    void roundingTiesGoToEven() {
        double ulp = Math.ulp(1.0);
        // Σ(w·v) = 1 + ulp/2 over Σw = 1: a tie between 1 and 1 + ulp, 1 is even
        assertSameDouble(1.0, assertExact("tie down", pairs(0.5, 2, 0.5, ulp)).average(), "tie down");
        // 1 + ulp + ulp/2: a tie between 1 + ulp (odd) and 1 + 2 ulp (even)
        assertSameDouble(1 + 2 * ulp, assertExact("tie up", pairs(0.5, 2 + 2 * ulp, 0.5, ulp)).average(), "tie up");
        // just above a tie: the extra 2^-1074 * 2^-1074 must still push it up
        assertSameDouble(1 + ulp, assertExact("above tie", pairs(0.5, 2, 0.5, ulp, MIN, MIN, -MIN, 0)).average(), "sticky");
        // ties in the subnormal range
        assertSameDouble(2 * MIN, assertExact("1.5 subnormal ulps", pairs(1, MIN, 1, 2 * MIN)).average(), "1.5 ulps");
        assertSameDouble(2 * MIN, assertExact("2.5 subnormal ulps", pairs(1, 2 * MIN, 1, 3 * MIN)).average(), "2.5 ulps");
        assertSameDouble(0.0, assertExact("0.5 subnormal ulps", pairs(1, MIN, 1, 0)).average(), "0.5 ulps");
        assertSameDouble(-0.0, assertExact("-0.5 subnormal ulps", pairs(1, -MIN, 1, -0.0)).average(), "-0.5 ulps");
        // between half the smallest subnormal and it: rounds up to it, with the sign kept
        assertSameDouble(MIN, assertExact("0.75 subnormal ulps", pairs(3, MIN, 1, 0)).average(), "0.75 ulps");
        assertSameDouble(-MIN, assertExact("-2/3 subnormal ulps", pairs(2, -MIN, 1, 0)).average(), "-2/3 ulps");
        assertSameDouble(MIN, assertExact("0.5 subnormal ulps + 2^-2149", pairs(1, MIN, 1, 0, MIN, MIN, -MIN, 0))
                .average(), "just above half an ulp");
        // totals: MAX + 2^970 ties to the even neighbour beyond MAX, which is infinity
        assertSameDouble(Double.POSITIVE_INFINITY,
                assertExact("max + half ulp", pairs(Double.MAX_VALUE, 1, Math.scalb(1.0, 970), 1)).totalWeight(), "tie");
        assertSameDouble(Double.MAX_VALUE,
                assertExact("max + quarter ulp", pairs(Double.MAX_VALUE, 1, Math.scalb(1.0, 969), 1)).totalWeight(), "below");
    }

    @Test
    void overflowToInfinity() {
        ExactReference.Sums r = assertExact("Σw beyond MAX", pairs(Double.MAX_VALUE, 1, Double.MAX_VALUE, 1));
        assertSameDouble(Double.POSITIVE_INFINITY, r.totalWeight(), "total");
        assertSameDouble(1.0, r.average(), "the average is exact although both sums overflow");
        r = assertExact("negative Σw beyond MAX", pairs(-Double.MAX_VALUE, 3, -Double.MAX_VALUE, 3));
        assertSameDouble(Double.NEGATIVE_INFINITY, r.totalWeight(), "total");
        assertSameDouble(3.0, r.average(), "average");
        assertSameDouble(Double.POSITIVE_INFINITY,
                assertExact("average beyond MAX", pairs(2, Double.MAX_VALUE, -1, -Double.MAX_VALUE)).average(), "avg");
        assertSameDouble(Double.NEGATIVE_INFINITY,
                assertExact("average below -MAX", pairs(2, -Double.MAX_VALUE, -1, Double.MAX_VALUE)).average(), "avg");
        assertSameDouble(Double.MAX_VALUE,
                assertExact("average at MAX", pairs(1e-300, Double.MAX_VALUE, 1e-300, Double.MAX_VALUE)).average(), "avg");
    }

    @Test
    void subnormals() {
        SplittableRandom random = new SplittableRandom(21);
        int n = 400;
        double[] subnormalWeights = new double[2 * n];
        double[] subnormalValues = new double[2 * n];
        double[] bothSubnormal = new double[2 * n];
        for (int i = 0; i < n; i++) {
            subnormalWeights[2 * i] = subnormal(random);
            subnormalWeights[2 * i + 1] = random.nextDouble(-1e3, 1e3);
            subnormalValues[2 * i] = random.nextDouble(0, 1e-10) + (i % 3 == 0 ? -3e-11 : 0);
            subnormalValues[2 * i + 1] = subnormal(random);
            bothSubnormal[2 * i] = subnormal(random);
            bothSubnormal[2 * i + 1] = subnormal(random);
        }
        assertExact("subnormal weights", subnormalWeights);
        Double average = assertExact("subnormal values", subnormalValues).average();
        assertTrue(average != null && Math.abs(average) < Double.MIN_NORMAL, "the average is subnormal: " + average);
        assertExact("subnormal weights and values", bothSubnormal);
        assertSameDouble(3 * MIN, assertExact("3 MIN", pairs(MIN, 3 * MIN, 2 * MIN, 3 * MIN)).average(), "3 MIN");
        assertSameDouble(Double.MIN_NORMAL - MIN,
                assertExact("largest subnormal total", pairs(Double.MIN_NORMAL, 1, -MIN, 1)).totalWeight(), "total");
    }

    @Test
    void averagesAroundTheUnderflowThreshold() {
        SplittableRandom random = new SplittableRandom(27);
        for (int trial = 0; trial < 3000; trial++) {
            int n = random.nextInt(1, 6);
            double[] pairs = new double[2 * n];
            for (int i = 0; i < n; i++) {
                pairs[2 * i] = random.nextDouble(0.25, 4) * (random.nextInt(5) == 0 ? -1 : 1);
                pairs[2 * i + 1] = Math.scalb(random.nextDouble(-2, 2), random.nextInt(-1082, -1015));
            }
            assertExact("underflow trial " + trial, pairs);
        }
    }

    @Test
    void averagesAroundTheOverflowThreshold() {
        SplittableRandom random = new SplittableRandom(28);
        for (int trial = 0; trial < 3000; trial++) {
            int n = random.nextInt(1, 6);
            double[] pairs = new double[2 * n];
            for (int i = 0; i < n; i++) {
                // weights of both signs: a small Σw lifts the average past MAX
                pairs[2 * i] = random.nextDouble(-1, 3);
                pairs[2 * i + 1] = Math.scalb(random.nextDouble(-2, 2), random.nextInt(1015, 1024));
            }
            assertExact("overflow trial " + trial, pairs);
        }
    }

    @Test
    void batchSizesAndExponentBandsThatKernelsMayTreatSpecially() {
        // a kernel may sum blocks of pairs by other exact means and send the rest pair by pair: cover
        // block and lane edges, and a band of exponents either side of any plausible cut-off
        SplittableRandom random = new SplittableRandom(29);
        for (int n : new int[] {1, 3, 4, 5, 7, 8, 9, 1023, 1024, 1025, 2047, 2048, 2049, 4099}) {
            double[] pairs = new double[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                pairs[i] = random.nextDouble(-3, 3);
            }
            assertExact(n + " pairs near one", pairs);
        }
        for (int band = 0; band < 1000; band += 25) {
            int n = 1500;
            double[] pairs = new double[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                int e = band + random.nextInt(-25, 26);
                pairs[i] = Math.scalb(random.nextDouble(1, 2), random.nextBoolean() ? e : -e)
                        * (random.nextInt(3) == 0 ? -1 : 1);
            }
            assertExact("exponents ±" + band + "±25", pairs);
        }
        // wide dynamic range inside one block: digits far below the block's largest value matter
        double[] wide = new double[2 * 3000];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = Math.scalb(random.nextDouble(-2, 2), random.nextInt(-449, 450));
        }
        assertExact("exponents -449..449", wide);
        double[] bigAndTiny = new double[2 * 1024];
        for (int i = 0; i < 1024; i++) {
            bigAndTiny[2 * i] = i % 2 == 0 ? Math.scalb(random.nextDouble(1, 2), 200) : Math.scalb(random.nextDouble(1, 2), -200);
            bigAndTiny[2 * i + 1] = random.nextDouble(-1, 1);
        }
        assertExact("2^200 and 2^-200 weights in one block", bigAndTiny);
    }

    static double subnormal(SplittableRandom random) {
        return Double.longBitsToDouble(random.nextLong() & 0x800fffffffffffffL);
    }

    @Test
    void randomMagnitudesFrom1eMinus300To1e300() {
        SplittableRandom random = new SplittableRandom(22);
        for (int trial = 0; trial < 6; trial++) {
            int n = 500 + random.nextInt(1500);
            double[] pairs = new double[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                pairs[i] = Math.scalb(random.nextDouble(1, 2), random.nextInt(-996, 997))
                        * (random.nextInt(4) == 0 ? -1 : 1);
            }
            assertExact("random exponents, trial " + trial, pairs);
        }
    }

    @Test
    void mixedSigns() {
        SplittableRandom random = new SplittableRandom(23);
        for (int trial = 0; trial < 5; trial++) {
            int n = 2000;
            double[] pairs = new double[2 * n];
            for (int i = 0; i < n; i++) {
                pairs[2 * i] = random.nextDouble(-1000, 1000 + trial); // Σw near zero relative to Σ|w|
                pairs[2 * i + 1] = random.nextDouble(-1e6, 1e6) * Math.scalb(1.0, random.nextInt(-20, 20));
            }
            assertExact("mixed signs, trial " + trial, pairs);
        }
    }

    @Test
    void illConditionedSums() {
        SplittableRandom random = new SplittableRandom(24);
        for (int trial = 0; trial < 5; trial++) {
            int groups = 300;
            double[] pairs = new double[2 * 3 * groups];
            int at = 0;
            for (int g = 0; g < groups; g++) {
                double w = Math.scalb(random.nextDouble(1, 2), random.nextInt(-100, 100));
                double v = Math.scalb(random.nextDouble(-2, 2), random.nextInt(-100, 100));
                // a pair and its mirror cancel in Σw exactly and in Σ(w·v) exactly or down to w·ulp(v);
                // the small pairs leave a Σw ~1e-115 of Σ|w|
                pairs[at++] = w;
                pairs[at++] = v;
                pairs[at++] = -w;
                pairs[at++] = g % 2 == 0 ? v : Math.nextUp(v);
                pairs[at++] = Math.scalb(random.nextDouble(1, 2), -300 + random.nextInt(10));
                pairs[at++] = random.nextDouble(-1, 1);
            }
            shufflePairs(pairs, random);
            ExactReference.Sums r = assertExact("ill-conditioned, trial " + trial, pairs);
            double sumAbs = 0;
            for (int i = 0; i < pairs.length; i += 2) {
                sumAbs += Math.abs(pairs[i]);
            }
            assertTrue(Math.abs(r.totalWeight()) < 1e-60 * sumAbs, "the weights really cancel: " + r.totalWeight());
        }
    }

    static void shufflePairs(double[] pairs, SplittableRandom random) {
        for (int i = pairs.length / 2 - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            for (int k = 0; k < 2; k++) {
                double t = pairs[2 * i + k];
                pairs[2 * i + k] = pairs[2 * j + k];
                pairs[2 * j + k] = t;
            }
        }
    }

    @Test
    void aMillionRandomRows() {
        SplittableRandom random = new SplittableRandom(25);
        int n = 1_000_000;
        double[] pairs = new double[2 * n];
        for (int i = 0; i < n; i++) {
            pairs[2 * i] = random.nextDouble(0, 100);
            pairs[2 * i + 1] = random.nextDouble(-50, 1000);
        }
        ExactReference.Sums r = assertExact("a million rows", pairs);
        // sanity: the exact average is near the naive one
        double naiveW = 0;
        double naiveP = 0;
        for (int i = 0; i < n; i++) {
            naiveW += pairs[2 * i];
            naiveP += pairs[2 * i] * pairs[2 * i + 1];
        }
        assertEquals(naiveP / naiveW, r.average(), 1e-9 * Math.abs(r.average()));
    }

    @Test
    void extremesOfTheInputRange() {
        double[] extremes = {MIN, -MIN, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 1.0,
            Math.nextDown(Double.MIN_NORMAL), Math.nextDown(Double.MAX_VALUE), 0.0, -0.0};
        // every ordered pair of extremes, alone and all together
        double[] all = new double[2 * extremes.length * extremes.length];
        int at = 0;
        for (double w : extremes) {
            for (double v : extremes) {
                assertExact("(" + w + ", " + v + ")", pairs(w, v));
                all[at++] = w;
                all[at++] = v;
            }
        }
        assertExact("all extreme pairs", all);
        double[] shuffled = Arrays.copyOf(all, all.length);
        shufflePairs(shuffled, new SplittableRandom(26));
        assertExact("all extreme pairs, shuffled", shuffled);
    }
}
