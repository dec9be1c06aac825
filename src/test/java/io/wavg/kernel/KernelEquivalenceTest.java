package io.wavg.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import io.wavg.state.ExactReference;
import org.junit.jupiter.api.Test;

/**
 * The native and the Java kernel accumulate the same exact sums into the same layout, so for the same
 * input their states must be the same long[] word for word once normalized (how long carries are
 * deferred before that is each kernel's own business), through addPairs and addColumns, with and
 * without NULL masks, and whichever kernel added which batch.
 */
class KernelEquivalenceTest {
    private static final WeightedAvgKernel JAVA = JavaKernel.INSTANCE;

    /** A mix of everything a column can hold: ordinary, huge, tiny, subnormal, zero and non-finite. */
    static double anyValue(SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> Double.longBitsToDouble(random.nextLong() & 0x800fffffffffffffL); // subnormal or ±0
            case 1 -> Double.longBitsToDouble(random.nextLong()); // any bit pattern, NaN and ±Inf included
            case 2 -> random.nextBoolean() ? Double.MAX_VALUE : -Double.MIN_VALUE;
            case 3 -> random.nextBoolean() ? 0.0 : -0.0;
            case 4 -> Math.scalb(random.nextDouble(-2, 2), random.nextInt(-1074, 1024));
            default -> random.nextDouble(-1e3, 1e3);
        };
    }

    static double[] randomPairs(SplittableRandom random, int n, boolean nonFinite) {
        double[] pairs = new double[2 * n];
        for (int i = 0; i < pairs.length; i++) {
            double x;
            do {
                x = anyValue(random);
            } while (!nonFinite && !Double.isFinite(x));
            pairs[i] = x;
        }
        return pairs;
    }

    @Test
    void addPairsGivesTheSameStateAfterEveryBatch() {
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        SplittableRandom random = new SplittableRandom(31);
        for (int trial = 0; trial < 20; trial++) {
            int n = random.nextInt(1, 5000);
            double[] all = randomPairs(random, n, trial % 2 == 0);
            long[] byJava = StateLayout.newState();
            long[] nat = StateLayout.newState();
            for (int done = 0; done < n; ) {
                int chunk = Math.min(n - done, random.nextInt(0, 700));
                double[] batch = Arrays.copyOfRange(all, 2 * done, 2 * (done + chunk));
                JAVA.addPairs(byJava, batch, chunk);
                nativeKernel.addPairs(nat, batch, chunk);
                TestKernels.assertSameState(byJava, nat, "trial " + trial + ", after " + (done + chunk) + " pairs");
                done += chunk;
            }
            assertEquals(n, byJava[StateLayout.COUNT]);
            assertEquals(nat[StateLayout.PENDING], byJava[StateLayout.PENDING], "both kernels bound carries alike");
            JAVA.normalize(byJava);
            nativeKernel.normalize(nat);
            assertArrayEquals(byJava, nat, "trial " + trial + ", normalized");
            assertCanonical(byJava);
        }
    }

    /** Every digit but the top one in [0, 2^32) and nothing pending. */
    static void assertCanonical(long[] state) {
        assertEquals(0, state[StateLayout.PENDING]);
        for (int from : new int[] {StateLayout.WEIGHT_DIGITS, StateLayout.PRODUCT_DIGITS}) {
            for (int i = 0; i < StateLayout.DIGITS - 1; i++) {
                long digit = state[from + i];
                assertTrue(digit >= 0 && digit <= 0xffffffffL, "digit " + i + " is " + digit);
            }
        }
    }

    @Test
    void addColumnsWithAndWithoutNullMasks() {
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        SplittableRandom random = new SplittableRandom(32);
        for (int trial = 0; trial < 24; trial++) {
            int n = random.nextInt(0, 4000);
            double[] weights = new double[n + 3];
            double[] values = new double[n + 3];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = anyValue(random);
                values[i] = anyValue(random);
            }
            // any non-zero byte means NULL, as in Spark's column vectors; a few extra rows past n are ignored
            byte[] weightNulls = trial % 4 == 1 || trial % 4 == 3 ? mask(random, n + 3) : null;
            byte[] valueNulls = trial % 4 == 2 || trial % 4 == 3 ? mask(random, n + 3) : null;
            long[] byJava = StateLayout.newState();
            long[] nat = StateLayout.newState();
            JAVA.addColumns(byJava, weights, values, weightNulls, valueNulls, n);
            nativeKernel.addColumns(nat, weights, values, weightNulls, valueNulls, n);
            String label = "trial " + trial + " (weight mask " + (weightNulls != null) + ", value mask "
                    + (valueNulls != null) + ")";
            TestKernels.assertSameState(byJava, nat, label);
            assertEquals(nat[StateLayout.PENDING], byJava[StateLayout.PENDING],
                    label + ": both kernels bound carries alike, NULL rows included");

            // the same state as adding only the non-NULL rows as pairs
            double[] kept = new double[2 * n];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if ((weightNulls == null || weightNulls[i] == 0) && (valueNulls == null || valueNulls[i] == 0)) {
                    kept[2 * k] = weights[i];
                    kept[2 * k + 1] = values[i];
                    k++;
                }
            }
            long[] pairs = TestKernels.stateOf(nativeKernel, kept, k);
            assertEquals(k, byJava[StateLayout.COUNT], label + ": count of non-NULL pairs");
            JAVA.normalize(byJava);
            nativeKernel.normalize(nat);
            nativeKernel.normalize(pairs);
            assertArrayEquals(byJava, nat, label + ", normalized");
            assertArrayEquals(pairs, nat, label + ": columns with masks = pairs of the non-NULL rows");
        }
    }

    /**
     * Columns of little-endian doubles at any offset of a page buffer, direct or on the heap, give the
     * state the same columns give as arrays: the native kernel reads direct buffers where they lie,
     * unaligned ones through a copy, and heap buffers (like the Java kernel) through arrays.
     */
    @Test
    void littleEndianColumnsAtAnyAlignment() {
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        SplittableRandom random = new SplittableRandom(34);
        for (int trial = 0; trial < 32; trial++) {
            int n = random.nextInt(0, 5000);
            double[] weights = new double[n];
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                weights[i] = anyValue(random);
                values[i] = anyValue(random);
            }
            long[] expected = StateLayout.newState();
            nativeKernel.addColumns(expected, weights, values, null, null, n);
            nativeKernel.normalize(expected);
            int weightOffset = trial % 8;
            int valueOffset = (trial / 8) % 4 * 3;
            for (boolean direct : new boolean[] {true, false}) {
                ByteBuffer w = page(weights, weightOffset, direct);
                ByteBuffer v = page(values, valueOffset, direct);
                for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JAVA, nativeKernel}) {
                    long[] state = StateLayout.newState();
                    kernel.addLittleEndianColumns(state, w, v, n);
                    kernel.normalize(state);
                    assertArrayEquals(expected, state, kernel.name() + ", trial " + trial + ", offsets "
                            + weightOffset + "/" + valueOffset + (direct ? ", direct" : ", heap"));
                    assertEquals(weightOffset, w.position(), "the buffers' positions are left alone");
                }
            }
        }
    }

    /** The doubles little-endian at {@code offset} of a larger buffer, whose position is then offset. */
    static ByteBuffer page(double[] column, int offset, boolean direct) {
        int bytes = offset + 8 * column.length + 5;
        ByteBuffer page = (direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        page.position(offset);
        for (double x : column) {
            page.putDouble(x);
        }
        return page.position(offset).limit(offset + 8 * column.length);
    }

    @Test
    void littleEndianColumnsShorterThanAskedAreRejected() {
        ByteBuffer w = ByteBuffer.allocateDirect(80);
        ByteBuffer v = ByteBuffer.allocateDirect(72);
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JAVA, TestKernels.nativeKernel()}) {
            long[] state = StateLayout.newState();
            assertThrows(IllegalArgumentException.class, () -> kernel.addLittleEndianColumns(state, w, v, 10));
            assertThrows(IllegalArgumentException.class, () -> kernel.addLittleEndianColumns(state, w, w, -1));
            assertArrayEquals(StateLayout.newState(), state, kernel.name() + ": nothing added");
        }
    }

    static byte[] mask(SplittableRandom random, int n) {
        byte[] mask = new byte[n];
        for (int i = 0; i < n; i++) {
            mask[i] = random.nextInt(3) == 0 ? (byte) (1 + random.nextInt(255)) : 0;
        }
        return mask;
    }

    @Test
    void nullRowsMaySkipNonFiniteGarbage() {
        // NULL rows often hold NaN or stale data; skipped rows must leave no flag behind
        double[] weights = {Double.NaN, 2, Double.POSITIVE_INFINITY, 4};
        double[] values = {1, Double.NaN, 3, Double.NEGATIVE_INFINITY};
        byte[] weightNulls = {1, 0, (byte) 0x80, 0};
        byte[] valueNulls = {0, 1, 0, (byte) 0xff};
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JAVA, TestKernels.nativeKernel()}) {
            long[] state = StateLayout.newState();
            kernel.addColumns(state, weights, values, weightNulls, valueNulls, 4);
            kernel.normalize(state);
            assertArrayEquals(StateLayout.newState(), state, kernel.name() + ": no flag, no count, no digit");
            assertEquals(null, TestKernels.sumOf(kernel, state).average());
        }
    }

    @Test
    void kernelsCanShareOneState() {
        // batches added alternately by either kernel give the state one kernel alone would
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        SplittableRandom random = new SplittableRandom(33);
        double[] all = randomPairs(random, 3000, true);
        long[] mixed = StateLayout.newState();
        for (int b = 0; b < 30; b++) {
            double[] batch = Arrays.copyOfRange(all, 200 * b, 200 * b + 200);
            (b % 2 == 0 ? JAVA : nativeKernel).addPairs(mixed, batch, 100);
            if (b % 7 == 6) {
                (b % 3 == 0 ? JAVA : nativeKernel).normalize(mixed);
            }
        }
        long[] javaOnly = TestKernels.stateOf(JAVA, all, 3000);
        JAVA.normalize(javaOnly);
        nativeKernel.normalize(mixed);
        assertArrayEquals(javaOnly, mixed);
    }

    @Test
    void addingNothingChangesNothing() {
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JAVA, TestKernels.nativeKernel()}) {
            long[] state = StateLayout.newState();
            kernel.addPairs(state, new double[0], 0);
            kernel.addColumns(state, new double[0], new double[0], null, new byte[0], 0);
            kernel.addPairs(state, new double[] {1, 2}, 0);
            assertArrayEquals(StateLayout.newState(), state, kernel.name());
        }
    }

    @Test
    void nativeKernelRejectsWhatWouldCorruptMemory() {
        NativeKernel kernel = TestKernels.nativeKernel();
        long[] state = StateLayout.newState();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kernel.addPairs(new long[12], new double[2], 1));
        assertTrue(e.getMessage().contains("weighted_avg"), e.getMessage());
        long[] wrongTag = StateLayout.newState();
        wrongTag[StateLayout.TAG] = 42;
        assertThrows(IllegalArgumentException.class, () -> kernel.addPairs(wrongTag, new double[2], 1));
        assertThrows(IllegalArgumentException.class, () -> kernel.normalize(new long[StateLayout.WORDS]));
        assertThrows(IllegalArgumentException.class, () -> kernel.addPairs(state, new double[5], 3));
        assertThrows(IllegalArgumentException.class, () -> kernel.addPairs(state, new double[2], -1));
        assertThrows(IllegalArgumentException.class,
                () -> kernel.addColumns(state, new double[3], new double[2], null, null, 3));
        assertThrows(IllegalArgumentException.class,
                () -> kernel.addColumns(state, new double[3], new double[3], new byte[2], null, 3));
        assertThrows(IllegalArgumentException.class,
                () -> kernel.addColumns(state, new double[3], new double[3], null, null, -1));
        assertThrows(IllegalArgumentException.class, () -> kernel.result(new long[3]));
        assertThrows(IllegalArgumentException.class, () -> kernel.weightedAvg(new double[3], 2));
        assertThrows(IllegalArgumentException.class, () -> kernel.weightedAvg(new double[3], -1));
        assertArrayEquals(StateLayout.newState(), state, "rejected calls leave the state alone");
    }

    @Test
    void layoutConstantsMatchTheLibrary() {
        NativeKernel.Library raw = TestKernels.rawLibrary();
        assertEquals(StateLayout.ABI_VERSION, raw.wavg_abi_version());
        assertEquals(StateLayout.WORDS, raw.wavg_state_words());
        assertEquals(StateLayout.HEADER_WORDS + 2 * StateLayout.DIGITS, StateLayout.WORDS);
        assertEquals("native", TestKernels.nativeKernel().name());
        assertEquals("java", JAVA.name());
        // the smallest and largest products land inside the digits, with room for 2^64 of the largest
        assertTrue(2048 + 64 + StateLayout.BIAS_BITS < 32 * (StateLayout.DIGITS - 1));
        ExactReference.Sums smallest = ExactReference.Sums.EMPTY.plus(Double.MIN_VALUE, Double.MIN_VALUE);
        long[] state = TestKernels.stateOf(JAVA, new double[] {Double.MIN_VALUE, Double.MIN_VALUE}, 1);
        assertEquals(0, ExactReference.digitsValue(state, StateLayout.PRODUCT_DIGITS, StateLayout.DIGITS,
                StateLayout.BIAS_BITS).compareTo(smallest.product()), "2^-2148 is representable");
    }
}
