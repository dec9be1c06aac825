package io.wavg.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.wavg.kernel.StateLayout;

/** The in-place digit window against BigInteger arithmetic, over parts that move it every way. */
class FixedPointSumTest {
    private static final BigInteger SCALE = BigInteger.ONE.shiftLeft(StateLayout.BIAS_BITS);

    /** A double times 2^BIAS_BITS as an integer: what {@link FixedPointSum#scaled} gives for it alone. */
    private static BigInteger scaled(double x) {
        return new BigDecimal(x).multiply(new BigDecimal(SCALE)).toBigIntegerExact();
    }

    private static double randomPart(SplittableRandom random, int exponentSpread) {
        double magnitude = Math.scalb(random.nextDouble(1, 2), random.nextInt(-exponentSpread, exponentSpread + 1));
        if (random.nextInt(20) == 0) {
            magnitude = Math.scalb(1.0, random.nextInt(-1074, 1024)); // powers of two carry the furthest
        }
        return random.nextBoolean() ? magnitude : -magnitude;
    }

    @Test
    void addsDoublesAndSumsExactlyWhereverTheyFall() {
        SplittableRandom random = new SplittableRandom(71);
        for (int trial = 0; trial < 2000; trial++) {
            int spread = trial % 3 == 0 ? 1000 : trial % 3 == 1 ? 80 : 4;
            // some sums start with room for a window, as a merge's group states do
            FixedPointSum sum = trial % 4 == 3 ? new FixedPointSum(1 + trial % 9) : new FixedPointSum();
            BigInteger expected = BigInteger.ZERO;
            int parts = random.nextInt(1, 40);
            java.util.List<Double> added = new java.util.ArrayList<>();
            BigInteger addedValue = BigInteger.ZERO;
            for (int p = 0; p < parts; p++) {
                if (random.nextInt(25) == 0) { // cleared for reuse: its array stays, its value is gone
                    sum.clear();
                    expected = BigInteger.ZERO;
                    added.clear();
                    addedValue = BigInteger.ZERO;
                } else if (random.nextInt(10) == 0) { // everything so far, negated part by part: the sum returns to zero
                    for (double x : added) {
                        sum.addDouble(-x);
                    }
                    expected = expected.subtract(addedValue);
                    added.clear();
                    addedValue = BigInteger.ZERO;
                } else if (random.nextInt(8) == 0) { // a merge of another sum, or of twice this one
                    FixedPointSum other = new FixedPointSum();
                    BigInteger otherValue = BigInteger.ZERO;
                    if (random.nextBoolean()) {
                        for (int q = random.nextInt(1, 6); q > 0; q--) {
                            double x = randomPart(random, spread);
                            other.addDouble(x);
                            otherValue = otherValue.add(scaled(x));
                        }
                    } else {
                        ByteBuffer bytes = ByteBuffer.allocate(sum.serializedSize());
                        sum.write(bytes);
                        bytes.flip();
                        FixedPointSum copy = new FixedPointSum();
                        copy.addSerialized(bytes);
                        assertEquals(expected, copy.scaled(), "round trip, trial " + trial);
                        other.add(copy);
                        other.add(copy);
                        otherValue = expected.shiftLeft(1);
                    }
                    sum.add(other);
                    expected = expected.add(otherValue);
                } else {
                    double x = randomPart(random, spread);
                    sum.addDouble(x);
                    expected = expected.add(scaled(x));
                    added.add(x);
                    addedValue = addedValue.add(scaled(x));
                }
                assertEquals(expected, sum.scaled(), "trial " + trial + " part " + p);
                assertEquals(expected.signum(), sum.signum(), "sign, trial " + trial);
            }
            ByteBuffer bytes = ByteBuffer.allocate(sum.serializedSize());
            sum.write(bytes);
            assertEquals(0, bytes.remaining(), "serializedSize is what write writes");
            bytes.flip();
            FixedPointSum copy = new FixedPointSum();
            copy.addSerialized(bytes);
            assertEquals(expected, copy.scaled());
            assertEquals(sum.digitCount(), copy.digitCount());
            ByteBuffer again = ByteBuffer.allocate(copy.serializedSize());
            copy.write(again);
            assertArrayEquals(bytes.array(), again.array(), "the serialized form is canonical, trial " + trial);
        }
    }

    @Test
    void partsThatCancelLeaveNothing() {
        FixedPointSum sum = new FixedPointSum();
        double[] parts = {1e300, 3.5, -1e-300, Double.MIN_VALUE, -3.5, -1e300, 1e-300, -Double.MIN_VALUE};
        for (double x : parts) {
            sum.addDouble(x);
        }
        assertEquals(0, sum.signum());
        assertEquals(0, sum.digitCount());
        assertEquals(BigInteger.ZERO, sum.scaled());
        sum.addDouble(-2.0);
        assertEquals(scaled(-2.0), sum.scaled(), "a zero sum takes new parts anywhere");
    }
}
