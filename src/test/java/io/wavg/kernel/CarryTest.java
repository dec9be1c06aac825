package io.wavg.kernel;

import static io.wavg.kernel.StateLayout.BIAS_BITS;
import static io.wavg.kernel.StateLayout.CARRY_LIMIT;
import static io.wavg.kernel.StateLayout.COUNT;
import static io.wavg.kernel.StateLayout.DIGITS;
import static io.wavg.kernel.StateLayout.PENDING;
import static io.wavg.kernel.StateLayout.PRODUCT_DIGITS;
import static io.wavg.kernel.StateLayout.WEIGHT_DIGITS;
import static io.wavg.kernel.TestKernels.assertSameAverage;
import static io.wavg.kernel.TestKernels.assertSameCAverage;
import static io.wavg.kernel.TestKernels.assertSameDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import io.wavg.state.ExactReference;
import io.wavg.state.WeightedSum;
import org.junit.jupiter.api.Test;

/**
 * Deferred carries. Digits absorb CARRY_LIMIT additions between propagations; running 2^30 pairs
 * would be slow, so the states here are put where 2^30 pairs would have left them: PENDING just
 * below the interval and digits near the ±2^62 a full interval can reach. The result must still be
 * exact, and both kernels must propagate at the same moment.
 */
class CarryTest {

    /** A state as if almost a full interval had been added: large digits where the data will land. */
    static long[] nearlyFullState(SplittableRandom random, int pendingLeft) {
        long[] state = StateLayout.newState();
        state[PENDING] = CARRY_LIMIT - pendingLeft;
        state[COUNT] = CARRY_LIMIT - pendingLeft;
        // weights ~1 land near weight digit 66, products ~1 near product digit 64
        for (int i = 55; i < 80; i++) {
            state[WEIGHT_DIGITS + i] = bigDigit(random);
            state[PRODUCT_DIGITS + i] = bigDigit(random);
        }
        return state;
    }

    /** Within ±(2^62 - 2^33): with fewer than 2^30 more additions no word can overflow. */
    static long bigDigit(SplittableRandom random) {
        long magnitude = (1L << 62) - (1L << 33) - random.nextLong(1L << 32);
        return random.nextBoolean() ? magnitude : -magnitude;
    }

    static double[] dataNearOne(SplittableRandom random, int n) {
        double[] pairs = new double[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            pairs[i] = random.nextDouble(-4, 4);
        }
        return pairs;
    }

    /** The exact sums a state stands for plus the pairs added to it. */
    static ExactReference.Sums expected(long[] start, double[] pairs, int n) {
        BigDecimal w = ExactReference.digitsValue(start, WEIGHT_DIGITS, DIGITS, BIAS_BITS);
        BigDecimal p = ExactReference.digitsValue(start, PRODUCT_DIGITS, DIGITS, BIAS_BITS);
        return new ExactReference.Sums(w, p, start[COUNT]).plus(ExactReference.sums(pairs, n));
    }

    @Test
    void propagationInTheMiddleOfAPairsBatchStaysExact() {
        SplittableRandom random = new SplittableRandom(41);
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        for (int pendingLeft : new int[] {0, 1, 3, 999, 1000}) {
            long[] start = nearlyFullState(random, pendingLeft);
            int n = 1000;
            double[] pairs = dataNearOne(random, n);
            long[] byJava = start.clone();
            long[] byNative = start.clone();
            JavaKernel.INSTANCE.addPairs(byJava, pairs, n);
            nativeKernel.addPairs(byNative, pairs, n);
            String label = pendingLeft + " pairs before the interval";
            TestKernels.assertSameState(byJava, byNative, label);
            // both kernels reserve room per block of pairs, so they propagate carries at the same points
            assertEquals(byNative[PENDING], byJava[PENDING], label + ": pending");
            assertEquals(CARRY_LIMIT - pendingLeft + n, byJava[COUNT], label + ": count");
            assertEquals(byJava[COUNT], byNative[COUNT], label + ": native count");
            assertTrue(byNative[PENDING] <= CARRY_LIMIT, label + ": native pending " + byNative[PENDING]);
            if (pendingLeft < n) {
                assertDigitsLookPropagated(byJava, label);
            }
            assertExact(label, expected(start, pairs, n), byNative, nativeKernel);
            assertExact(label, expected(start, pairs, n), byJava, nativeKernel);
        }
    }

    /** Digits below the batch's own range hold only carried remainders: in [0, 2^32). */
    static void assertDigitsLookPropagated(long[] state, String label) {
        for (int i = 0; i < 50; i++) {
            assertTrue(state[WEIGHT_DIGITS + i] >= 0 && state[WEIGHT_DIGITS + i] <= 0xffffffffL, label);
        }
        for (int i = 80; i < DIGITS - 1; i++) {
            assertTrue(state[WEIGHT_DIGITS + i] >= 0 && state[WEIGHT_DIGITS + i] <= 0xffffffffL, label + " digit " + i);
        }
    }

    @Test
    void propagationInTheMiddleOfAColumnsBatchWithNulls() {
        SplittableRandom random = new SplittableRandom(42);
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        int n = 2000;
        long[] start = nearlyFullState(random, 777);
        double[] weights = new double[n];
        double[] values = new double[n];
        byte[] nulls = new byte[n];
        double[] kept = new double[2 * n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            weights[i] = random.nextDouble(-4, 4);
            values[i] = random.nextDouble(-4, 4);
            nulls[i] = (byte) (random.nextInt(5) == 0 ? 1 : 0);
            if (nulls[i] == 0) {
                kept[2 * k] = weights[i];
                kept[2 * k + 1] = values[i];
                k++;
            }
        }
        long[] byJava = start.clone();
        long[] byNative = start.clone();
        JavaKernel.INSTANCE.addColumns(byJava, weights, values, null, nulls, n);
        nativeKernel.addColumns(byNative, weights, values, null, nulls, n);
        TestKernels.assertSameState(byJava, byNative, "columns");
        assertEquals(byNative[PENDING], byJava[PENDING], "NULL rows count towards the interval in both kernels");
        assertEquals(CARRY_LIMIT - 777 + k, byJava[COUNT]);
        assertExact("columns", expected(start, kept, k), byJava, nativeKernel);
        assertExact("columns, native", expected(start, kept, k), byNative, nativeKernel);
    }

    @Test
    void manyIntervalsInOneCall() {
        // a state whose interval is used up propagates before adding anything, every time
        SplittableRandom random = new SplittableRandom(43);
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        long[] byJava = nearlyFullState(random, 0);
        long[] byNative = byJava.clone();
        long[] start = byJava.clone();
        double[] all = dataNearOne(random, 50);
        for (int i = 0; i < 50; i++) {
            double[] one = {all[2 * i], all[2 * i + 1]};
            JavaKernel.INSTANCE.addPairs(byJava, one, 1);
            nativeKernel.addPairs(byNative, one, 1);
            assertTrue(byJava[PENDING] > 0 && byJava[PENDING] == byNative[PENDING], "carries ran, then this pair");
            byJava[PENDING] = CARRY_LIMIT;
            byNative[PENDING] = CARRY_LIMIT;
            TestKernels.assertSameState(byJava, byNative, "after pair " + i);
        }
        assertExact("an interval per pair", expected(start, all, 50), byJava, nativeKernel);
        assertExact("an interval per pair, native", expected(start, all, 50), byNative, nativeKernel);
    }

    @Test
    void foreignKernelPropagatesToo() {
        // ForeignKernel adds one pair per batch; with PENDING at the limit it must propagate first
        long[] state = nearlyFullState(new SplittableRandom(44), 0);
        long[] start = state.clone();
        ForeignKernel foreign = ForeignKernel.load(TestKernels.nativeLibraryPath().toString());
        double[] pairs = {2, 3, 6, 1};
        foreign.addPairs(state, pairs, 2);
        assertEquals(1, state[PENDING]);
        assertExact("foreign", expected(start, pairs, 2), state, TestKernels.nativeKernel());
    }

    static void assertExact(String label, ExactReference.Sums reference, long[] state, NativeKernel nativeKernel) {
        double[] c = nativeKernel.result(state);
        assertSameDouble(reference.totalWeight(), c[0], label + " [wavg_result total]");
        assertSameCAverage(reference.average(), c[1], label + " [wavg_result average]");
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JavaKernel.INSTANCE, JavaKernel.SCALAR, nativeKernel}) {
            long[] normalized = state.clone();
            kernel.normalize(normalized);
            assertEquals(0, ExactReference.digitsValue(normalized, WEIGHT_DIGITS, DIGITS, BIAS_BITS)
                    .compareTo(reference.weight()), label + " [" + kernel.name() + "] Σw");
            assertEquals(0, ExactReference.digitsValue(normalized, PRODUCT_DIGITS, DIGITS, BIAS_BITS)
                    .compareTo(reference.product()), label + " [" + kernel.name() + "] Σ(w·v)");
            WeightedSum sum = new WeightedSum();
            sum.addKernelState(normalized);
            assertSameDouble(reference.totalWeight(), sum.totalWeight(), label + " [" + kernel.name() + " total]");
            assertSameAverage(reference.average(), sum.average(), label + " [" + kernel.name() + " average]");
        }
    }
}
