package io.wavg.state;

import static io.wavg.state.ExactReference.describe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * Checks the test oracle itself, so that agreement with it means something: IEEE-754 +, * and / are
 * correctly rounded by definition, and BigDecimal.doubleValue is an unrelated correctly rounded
 * conversion.
 */
class ExactReferenceTest {

    /** Any finite double, with the subnormal range drawn as often as the rest. */
    static double anyFinite(SplittableRandom random) {
        while (true) {
            long bits = random.nextLong();
            if (random.nextInt(4) == 0) {
                bits &= 0x800fffffffffffffL; // exponent field 0: subnormal or zero
            }
            double x = Double.longBitsToDouble(bits);
            if (Double.isFinite(x) && x != 0.0) {
                return x;
            }
        }
    }

    static void assertBits(double expected, double actual, String message) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                () -> message + ": expected " + describe(expected) + " but got " + describe(actual));
    }

    @Test
    void agreesWithIeeeDivisionMultiplicationAndAddition() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            double a = anyFinite(random);
            double b = anyFinite(random);
            // scale b so that a / b and a * b land near the overflow and underflow edges often
            if (i % 3 == 0) {
                b = Math.scalb(1.0 + random.nextDouble(), Math.getExponent(a) - random.nextInt(-60, 60)
                        - (random.nextBoolean() ? 1023 : -1074));
                if (b == 0.0 || !Double.isFinite(b)) {
                    continue;
                }
            }
            BigDecimal ba = new BigDecimal(a);
            BigDecimal bb = new BigDecimal(b);
            String pair = describe(a) + ", " + describe(b);
            assertBits(a / b, ExactReference.quotient(ba, bb), "quotient of " + pair);
            assertBits(a * b, ExactReference.round(ba.multiply(bb)), "product of " + pair);
            if (a != -b) {
                assertBits(a + b, ExactReference.round(ba.add(bb)), "sum of " + pair);
            }
        }
    }

    @Test
    void agreesWithBigDecimalDoubleValue() {
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 5_000; i++) {
            // random decimals of up to 40 digits at exponents covering overflow and underflow
            BigInteger digits = new BigInteger(1 + random.nextInt(130), new java.util.Random(random.nextLong()));
            BigDecimal x = new BigDecimal(random.nextBoolean() ? digits : digits.negate(), random.nextInt(-330, 360));
            if (x.signum() == 0) {
                continue;
            }
            assertBits(x.doubleValue(), ExactReference.round(x), "decimal " + x);
        }
    }

    @Test
    void tiesGoToEven() {
        SplittableRandom random = new SplittableRandom(13);
        for (int i = 0; i < 5_000; i++) {
            double a = Math.abs(anyFinite(random));
            if (a == Double.MAX_VALUE) {
                continue;
            }
            double up = Math.nextUp(a);
            BigDecimal mid = new BigDecimal(a).add(new BigDecimal(up)).divide(BigDecimal.valueOf(2));
            double even = (Double.doubleToRawLongBits(a) & 1) == 0 ? a : up;
            assertBits(even, ExactReference.round(mid), "midpoint above " + describe(a));
            assertBits(-even, ExactReference.round(mid.negate()), "midpoint below " + describe(-a));
            BigDecimal nudge = ExactReference.powerOfTwo(-1200);
            assertBits(up, ExactReference.round(mid.add(nudge)), "just above the midpoint of " + describe(a));
            assertBits(a, ExactReference.round(mid.subtract(nudge)), "just below the midpoint of " + describe(a));
        }
    }

    @Test
    void edgesOfTheRange() {
        BigDecimal max = new BigDecimal(Double.MAX_VALUE);
        BigDecimal halfUlpOfMax = ExactReference.powerOfTwo(970);
        assertBits(Double.MAX_VALUE, ExactReference.round(max.add(halfUlpOfMax).subtract(BigDecimal.ONE)), "below max+ulp/2");
        assertBits(Double.POSITIVE_INFINITY, ExactReference.round(max.add(halfUlpOfMax)), "max+ulp/2 ties away to inf");
        assertBits(Double.NEGATIVE_INFINITY, ExactReference.round(max.add(halfUlpOfMax).negate()), "-(max+ulp/2)");
        BigDecimal min = ExactReference.powerOfTwo(-1074);
        assertBits(0.0, ExactReference.round(min.divide(BigDecimal.valueOf(2))), "half the smallest subnormal ties to 0");
        assertBits(-0.0, ExactReference.round(min.divide(BigDecimal.valueOf(2)).negate()), "the sign of an underflow");
        assertBits(Double.MIN_VALUE, ExactReference.round(min.divide(BigDecimal.valueOf(2)).add(ExactReference.powerOfTwo(-1200))),
                "above half the smallest subnormal");
        assertBits(Double.MIN_VALUE * 2, ExactReference.round(min.multiply(BigDecimal.valueOf(3)).divide(BigDecimal.valueOf(2))),
                "1.5 subnormal ulps ties to 2");
        assertBits(Double.MIN_NORMAL, ExactReference.round(new BigDecimal(Double.MIN_NORMAL).subtract(min.divide(BigDecimal.valueOf(2)))),
                "a tie just below MIN_NORMAL goes up to it");
        assertBits(0.0, ExactReference.round(BigInteger.ZERO, BigInteger.valueOf(-7)), "exact zero is +0.0");
        assertBits(1.0 / 3, ExactReference.round(BigInteger.ONE, BigInteger.valueOf(3)), "1/3");
        assertBits(-1.0 / 3, ExactReference.round(BigInteger.ONE, BigInteger.valueOf(-3)), "1/-3");
    }

    @Test
    void sumsSkipNothingAndAverageIsNullOnlyWhenUndefined() {
        ExactReference.Sums s = ExactReference.Sums.EMPTY.plus(10, 2).plus(20, 1);
        assertEquals(new BigDecimal(30), s.weight());
        assertEquals(new BigDecimal(40), s.product());
        assertBits(30.0, s.totalWeight(), "total");
        assertBits(4.0 / 3, s.average(), "average");
        assertNull(ExactReference.Sums.EMPTY.average());
        assertNull(ExactReference.Sums.EMPTY.plus(1, 5).plus(-1, 7).average());
    }
}
