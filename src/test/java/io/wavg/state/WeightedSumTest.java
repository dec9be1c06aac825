package io.wavg.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import io.wavg.kernel.JavaKernel;
import io.wavg.kernel.Kernels;
import io.wavg.kernel.StateLayout;
import io.wavg.kernel.WeightedAvgKernel;
import org.junit.jupiter.api.Test;

/**
 * The mergeable state: merging is exact, so any split of the rows, any kernel, any merge order and any
 * number of serialization round trips give the same bits, and even the same serialized bytes (the
 * digit window is canonical). Serialization is compact and rejects bytes it cannot trust.
 */
class WeightedSumTest {

    static WeightedAvgKernel nativeKernel() {
        return Kernels.bundledNative();
    }

    static WeightedSum accumulate(WeightedAvgKernel kernel, double[] pairs, int from, int to, boolean columns) {
        int n = to - from;
        long[] state = StateLayout.newState();
        if (columns) {
            double[] w = new double[n];
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                w[i] = pairs[2 * (from + i)];
                v[i] = pairs[2 * (from + i) + 1];
            }
            kernel.addColumns(state, w, v, null, null, n);
        } else {
            kernel.addPairs(state, Arrays.copyOfRange(pairs, 2 * from, 2 * to), n);
        }
        kernel.normalize(state);
        WeightedSum sum = new WeightedSum();
        sum.addKernelState(state);
        return sum;
    }

    static double[] mixedData(SplittableRandom random, int n, boolean nonFinite) {
        double[] pairs = new double[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            pairs[i] = switch (random.nextInt(8)) {
                case 0 -> Math.scalb(random.nextDouble(-2, 2), random.nextInt(-1074, 1024));
                case 1 -> Double.longBitsToDouble(random.nextLong() & 0x800fffffffffffffL);
                case 2 -> nonFinite && random.nextInt(200) == 0 ? Double.POSITIVE_INFINITY : -0.0;
                default -> random.nextDouble(-1e4, 1e4);
            };
        }
        return pairs;
    }

    static void assertSameResult(WeightedSum expected, WeightedSum actual, String label) {
        assertArrayEquals(expected.serialize(), actual.serialize(), label + ": serialized bytes");
        assertEquals(expected.count(), actual.count(), label + ": count");
        assertEquals(Double.doubleToRawLongBits(expected.totalWeight()), Double.doubleToRawLongBits(actual.totalWeight()),
                label + ": total weight");
        Double a = expected.average();
        Double b = actual.average();
        assertEquals(a == null, b == null, label + ": average defined");
        if (a != null) {
            assertEquals(Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b), label + ": average");
        }
    }

    @Test
    void anySplitAnyKernelAnyMergeOrderGivesTheSameBits() {
        SplittableRandom random = new SplittableRandom(61);
        for (int trial = 0; trial < 24; trial++) {
            int n = random.nextInt(1, 20_000);
            double[] pairs = mixedData(random, n, trial % 3 == 0);
            WeightedSum whole = accumulate(JavaKernel.INSTANCE, pairs, 0, n, false);
            ExactReference.Sums reference = trial % 3 == 0 ? null : ExactReference.sums(pairs, n);

            // random cut points, empty chunks allowed
            int chunks = random.nextInt(1, 40);
            int[] cuts = new int[chunks + 1];
            for (int c = 1; c < chunks; c++) {
                cuts[c] = random.nextInt(n + 1);
            }
            cuts[chunks] = n;
            Arrays.sort(cuts);
            List<WeightedSum> parts = new ArrayList<>();
            for (int c = 0; c < chunks; c++) {
                WeightedAvgKernel kernel = random.nextBoolean() ? JavaKernel.INSTANCE : nativeKernel();
                WeightedSum part = accumulate(kernel, pairs, cuts[c], cuts[c + 1], random.nextBoolean());
                parts.add(random.nextBoolean() ? WeightedSum.deserialize(part.serialize()) : part);
            }
            Collections.shuffle(parts, new Random(random.nextLong()));
            // merge as a random tree, as shuffle partitions and partial aggregates would
            while (parts.size() > 1) {
                WeightedSum left = parts.remove(random.nextInt(parts.size()));
                WeightedSum right = parts.remove(random.nextInt(parts.size()));
                left.merge(random.nextBoolean() ? WeightedSum.deserialize(right.serialize()) : right);
                parts.add(random.nextBoolean() ? WeightedSum.deserialize(left.serialize()) : left);
            }
            WeightedSum merged = parts.get(0);
            String label = "trial " + trial + ", " + n + " rows in " + chunks + " chunks";
            assertSameResult(whole, merged, label);
            if (reference != null) {
                assertEquals(Double.doubleToRawLongBits(reference.totalWeight()),
                        Double.doubleToRawLongBits(merged.totalWeight()), label + ": total vs reference");
                Double avg = reference.average();
                assertEquals(avg == null ? null : Double.doubleToRawLongBits(avg),
                        merged.average() == null ? null : Double.doubleToRawLongBits(merged.average()),
                        label + ": average vs reference");
            }
        }
    }

    private static void assertRoundedAsReference(double[] pairs, String label) {
        WeightedSum sum = new WeightedSum();
        ExactReference.Sums reference = ExactReference.Sums.EMPTY;
        for (int i = 0; i < pairs.length; i += 2) {
            sum.addPair(pairs[i], pairs[i + 1]);
            reference = reference.plus(pairs[i], pairs[i + 1]);
        }
        assertEquals(reference.average(), sum.average(), label);
        assertEquals(reference.totalWeight(), sum.totalWeight(), label);
    }

    /**
     * The quotient's double-double fast path must step aside where it cannot tell the nearest double:
     * exact halfway points (ties to even), points a hair off them either side, results near overflow and
     * in the subnormals; and agree with the exact reference on random states of every magnitude.
     */
    @Test
    void averagesAtAndNearHalfwayPointsAreCorrectlyRounded() {
        double up = Math.nextUp(1.0);
        double upTwo = Math.nextUp(up);
        assertRoundedAsReference(new double[] {1, 1.0, 1, up}, "halfway, ties down to even");
        assertRoundedAsReference(new double[] {1, up, 1, upTwo}, "halfway, ties up to even");
        for (double nudge : new double[] {0x1p-300, -0x1p-300, 0x1p-120, -0x1p-120, 0x1p-60, -0x1p-60}) {
            assertRoundedAsReference(new double[] {1, 1.0, 1, up, nudge, 1e6}, "just off halfway by " + nudge);
            assertRoundedAsReference(new double[] {1, 1.0, 1, up, 1e-300, 1 + nudge * 1e300}, "weight " + nudge);
        }
        assertRoundedAsReference(new double[] {3, Double.MAX_VALUE, 1, -Double.MAX_VALUE}, "near overflow");
        assertRoundedAsReference(new double[] {1, Double.MIN_VALUE, 3, 3 * Double.MIN_VALUE}, "subnormal");
        assertRoundedAsReference(new double[] {1, Double.MIN_NORMAL, 1, Math.nextUp(Double.MIN_NORMAL)},
                "halfway at the smallest normals");
        assertRoundedAsReference(new double[] {1e300, 1e300, 1e-300, -1e-300}, "wide range");
        SplittableRandom random = new SplittableRandom(97);
        for (int round = 0; round < 3000; round++) {
            double[] pairs = mixedData(random, 1 + random.nextInt(12), false);
            if (round % 3 == 0) { // cancellation: a pair and almost its opposite
                pairs = Arrays.copyOf(pairs, pairs.length + 2);
                pairs[pairs.length - 2] = -pairs[0];
                pairs[pairs.length - 1] = Math.nextUp(pairs[1]);
            }
            assertRoundedAsReference(pairs, "random round " + round);
        }
    }

    @Test
    void severalKernelStatesIntoOneSum() {
        SplittableRandom random = new SplittableRandom(62);
        double[] pairs = mixedData(random, 5000, false);
        WeightedSum whole = accumulate(nativeKernel(), pairs, 0, 5000, false);
        WeightedSum folded = new WeightedSum();
        for (int from = 0; from < 5000; from += 700) {
            int to = Math.min(5000, from + 700);
            long[] state = StateLayout.newState();
            JavaKernel.INSTANCE.addPairs(state, Arrays.copyOfRange(pairs, 2 * from, 2 * to), to - from);
            JavaKernel.INSTANCE.normalize(state);
            folded.addKernelState(state);
        }
        assertSameResult(whole, folded, "addKernelState per batch");
    }

    @Test
    void cancellingPartsMergeToExactlyZero() {
        double[] plus = {1e300, 7, 1e-300, 3, 0.1, 0.2};
        double[] minus = {-1e300, 7, -1e-300, 3, -0.1, 0.2};
        WeightedSum a = accumulate(JavaKernel.INSTANCE, plus, 0, 3, false);
        WeightedSum b = accumulate(nativeKernel(), minus, 0, 3, false);
        a.merge(b);
        assertEquals(0, a.digitCount(), "no digits are left once everything cancels");
        assertEquals(0L, Double.doubleToRawLongBits(a.totalWeight()), "+0.0");
        assertNull(a.average(), "Σw is exactly zero");
        assertEquals(6, a.count());
        WeightedSum copy = WeightedSum.deserialize(a.serialize());
        assertSameResult(a, copy, "round trip of zero sums");
    }

    @Test
    void emptySum() {
        WeightedSum empty = new WeightedSum();
        assertEquals(0, empty.count());
        assertNull(empty.average());
        assertEquals(0L, Double.doubleToRawLongBits(empty.totalWeight()));
        byte[] bytes = empty.serialize();
        assertArrayEquals(new byte[] {WeightedSum.FORMAT_VERSION, 0, 0, 0, 0, 0, 0}, bytes,
                "version, flags, count, then (low, length) for each sum");
        assertSameResult(empty, WeightedSum.deserialize(bytes), "empty");
        WeightedSum some = accumulate(JavaKernel.INSTANCE, new double[] {10, 2, 20, 1}, 0, 2, false);
        byte[] before = some.serialize();
        some.merge(new WeightedSum());
        assertArrayEquals(before, some.serialize(), "merging an empty sum changes nothing");
        WeightedSum other = new WeightedSum();
        other.merge(some);
        assertSameResult(some, other, "merging into an empty sum copies");
        assertEquals(1.3333333333333333, other.average());
        assertEquals(30.0, other.totalWeight());
    }

    @Test
    void roundTripsKeepEverything() {
        SplittableRandom random = new SplittableRandom(63);
        for (int trial = 0; trial < 40; trial++) {
            int n = random.nextInt(0, 300);
            WeightedSum sum = accumulate(trial % 2 == 0 ? JavaKernel.INSTANCE : nativeKernel(),
                    mixedData(random, n, trial % 4 == 0), 0, n, false);
            WeightedSum copy = WeightedSum.deserialize(sum.serialize());
            assertSameResult(sum, copy, "trial " + trial);
            assertEquals(sum.digitCount(), copy.digitCount());
            assertSameResult(sum, WeightedSum.deserialize(copy.serialize()), "second round trip");
        }
    }

    @Test
    void aMillionPairsSerializeCompactly() {
        SplittableRandom random = new SplittableRandom(64);
        int n = 1_000_000;
        double[] pairs = new double[2 * n];
        for (int i = 0; i < n; i++) {
            pairs[2 * i] = random.nextDouble(1, 100);
            pairs[2 * i + 1] = random.nextDouble(1, 1000);
        }
        WeightedSum sum = accumulate(nativeKernel(), pairs, 0, n, false);
        byte[] bytes = sum.serialize();
        // measured: 4 weight digits (bits 2^-52..2^27) and 5 product digits (2^-104..2^37), 45 bytes
        // in all; the bounds leave a little room
        assertTrue(sum.digitCount() <= 10, "digits kept: " + sum.digitCount());
        assertTrue(bytes.length <= 50, "serialized size " + bytes.length);
        assertTrue(bytes.length < 100);
        assertSameResult(sum, WeightedSum.deserialize(bytes), "round trip");
        ExactReference.Sums reference = ExactReference.sums(pairs, n);
        assertEquals(Double.doubleToRawLongBits(reference.average()), Double.doubleToRawLongBits(sum.average()));
    }

    @Test
    void fullRangeStillFitsTheFormat() {
        // the widest sums possible: weights from 2^-1074 to MAX, products from 2^-2148 to MAX^2
        double[] pairs = {Double.MIN_VALUE, Double.MIN_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1};
        WeightedSum sum = accumulate(JavaKernel.INSTANCE, pairs, 0, 3, false);
        WeightedSum copy = WeightedSum.deserialize(sum.serialize());
        assertSameResult(sum, copy, "widest");
        assertTrue(sum.digitCount() > 100, "digits: " + sum.digitCount());
    }

    // ---- bytes that must be refused ----

    static void assertRejected(byte[] bytes, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightedSum.deserialize(bytes),
                () -> "accepted " + Arrays.toString(bytes));
        assertTrue(e.getMessage().startsWith("weighted_avg: "), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
        }
    }

    /** A hand-built state: count, then (low, length, digits) for each sum. */
    static byte[] handMade(int version, long count, long weightLow, long weightLength, int[] weightDigits,
                           long productLow, long productLength, int[] productDigits) {
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(64 + 4 * (weightDigits.length + productDigits.length));
        out.put((byte) version);
        out.put((byte) 0);
        Varint.write(out, count);
        Varint.write(out, weightLow);
        Varint.write(out, weightLength);
        for (int d : weightDigits) {
            out.putInt(d);
        }
        Varint.write(out, productLow);
        Varint.write(out, productLength);
        for (int d : productDigits) {
            out.putInt(d);
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    @Test
    void handMadeBytesMeanWhatTheFormatSays() {
        // Σw = 3 * 2^(32*68 - 2176) = 3, Σ(w·v) = 6: average 2
        WeightedSum sum = WeightedSum.deserialize(handMade(1, 2, 68, 1, new int[] {3}, 68, 1, new int[] {6}));
        assertEquals(3.0, sum.totalWeight());
        assertEquals(2.0, sum.average());
        assertEquals(2, sum.count());
        // negative digits are two's complement: -1 is Σw = -2^0
        sum = WeightedSum.deserialize(handMade(1, 1, 68, 1, new int[] {-1}, 68, 2, new int[] {0, 1}));
        assertEquals(-1.0, sum.totalWeight());
        assertEquals(-Math.scalb(1.0, 32), sum.average());
    }

    @Test
    void unknownVersionsAreRefusedClearly() {
        byte[] good = accumulate(JavaKernel.INSTANCE, new double[] {10, 2, 20, 1}, 0, 2, false).serialize();
        for (int version : new int[] {0, 2, 127, 255}) {
            byte[] bytes = good.clone();
            bytes[0] = (byte) version;
            assertRejected(bytes, "version " + version, "version " + WeightedSum.FORMAT_VERSION);
        }
    }

    @Test
    void corruptBytesAreRefused() {
        byte[] good = accumulate(JavaKernel.INSTANCE, new double[] {10, 2, 20, 1, 1e-300, 1e300}, 0, 3, false).serialize();
        assertRejected(new byte[0], "corrupt");
        for (int length = 1; length < good.length; length++) {
            assertRejected(Arrays.copyOf(good, length), "corrupt");
        }
        assertRejected(Arrays.copyOf(good, good.length + 1), "corrupt", "trailing");
        int[] one = {1};
        assertRejected(handMade(1, 1, 137, 1, one, 68, 1, one), "corrupt", "out of range");
        assertRejected(handMade(1, 1, 68, 1, one, 130, 8, new int[8]), "corrupt", "out of range");
        // offsets that only look small once truncated to an int must not slip through
        assertRejected(handMade(1, 1, Integer.MAX_VALUE, 1, one, 68, 1, one), "corrupt");
        assertRejected(handMade(1, 1, (1L << 32) + 68, 1, one, 68, 1, one), "corrupt");
        assertRejected(handMade(1, 1, 68, (1L << 32) + 1, one, 68, 1, one), "corrupt");
        assertRejected(handMade(1, 1, Long.MAX_VALUE, Long.MAX_VALUE, one, 68, 1, one), "corrupt");
        assertRejected(handMade(1, 1, -1L, 1, one, 68, 1, one), "corrupt");
        // a length far beyond the data is refused before anything is allocated for it
        assertRejected(handMade(1, 1, 0, Integer.MAX_VALUE, new int[0], 0, 0, new int[0]), "corrupt");
        // a varint that never ends
        byte[] endless = new byte[14];
        endless[0] = 1;
        Arrays.fill(endless, 2, 14, (byte) 0xff);
        assertRejected(endless, "corrupt");
    }

    @Test
    void kernelStateOfAnotherLayoutIsRefused() {
        long[] state = StateLayout.newState();
        state[StateLayout.TAG] = 0x5741564700000002L;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new WeightedSum().addKernelState(state));
        assertTrue(e.getMessage().contains("weighted_avg") && e.getMessage().contains("5741564700000002"), e.getMessage());
    }
}
