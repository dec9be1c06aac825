package io.wavg.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Random;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Production's ExactRounding.quotient(num, den, scale) = num / den * 2^scale against the oracle. */
class ExactRoundingTest {

    static double expected(BigInteger num, BigInteger den, int scale) {
        return scale >= 0 ? ExactReference.round(num.shiftLeft(scale), den)
                : ExactReference.round(num, den.shiftLeft(-scale));
    }

    static void check(BigInteger num, BigInteger den, int scale) {
        double want = expected(num, den, scale);
        double got = ExactRounding.quotient(num, den, scale);
        assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got),
                () -> num + " / " + den + " * 2^" + scale + ": expected " + ExactReference.describe(want) + " but got "
                        + ExactReference.describe(got));
    }

    @Test
    void randomQuotientsAcrossTheWholeRange() {
        SplittableRandom random = new SplittableRandom(51);
        Random bits = new Random(52);
        for (int i = 0; i < 30_000; i++) {
            BigInteger num = new BigInteger(1 + random.nextInt(400), bits);
            BigInteger den = new BigInteger(1 + random.nextInt(400), bits).add(BigInteger.ONE);
            if (random.nextBoolean()) {
                num = num.negate();
            }
            // aim the result at normal, subnormal, underflowing and overflowing exponents alike
            int target = random.nextInt(-1140, 1040);
            int scale = target - (num.bitLength() - den.bitLength());
            check(num, den, scale);
        }
    }

    @Test
    void exactTiesAndNearTies() {
        SplittableRandom random = new SplittableRandom(53);
        for (int i = 0; i < 20_000; i++) {
            // an odd multiple of half an ulp: (2m + 1) / 2 at 53 or fewer significant bits, times 2^e
            long m = random.nextLong(1L << 52, 1L << 53) >>> random.nextInt(0, 53);
            BigInteger tie = BigInteger.valueOf(m).shiftLeft(1).add(BigInteger.ONE);
            int e = random.nextInt(-1140, 1030);
            BigInteger den = BigInteger.valueOf(random.nextLong(1, 1L << 40));
            // num / den * 2^scale with num = tie * den, plus or minus a little
            BigInteger num = tie.multiply(den);
            check(num, den, e);
            check(num.negate(), den, e);
            check(num.add(BigInteger.ONE), den, e);
            check(num.subtract(BigInteger.ONE), den, e);
            check(num.shiftLeft(200).add(BigInteger.ONE), den.shiftLeft(200), e);
        }
    }

    @Test
    void edges() {
        BigInteger one = BigInteger.ONE;
        check(BigInteger.ZERO, one, 0);
        assertEquals(0L, Double.doubleToRawLongBits(ExactRounding.quotient(BigInteger.ZERO, BigInteger.TEN, -5)));
        check(one, one, -1074);
        check(one, one, -1075); // a tie with zero: rounds to +0.0
        check(one.negate(), one, -1075); // and to -0.0
        check(BigInteger.valueOf(3), one, -1076); // 0.75 ulp: up to MIN_VALUE
        check(one, one, 1023);
        check(one, one, 1024); // overflow
        check(BigInteger.ONE.shiftLeft(53).subtract(one), one, 971); // MAX_VALUE
        check(BigInteger.ONE.shiftLeft(54).subtract(one), one, 970); // MAX + ulp/2: infinity
        check(BigInteger.ONE.shiftLeft(54).subtract(one), one.shiftLeft(1), 971);
        check(BigInteger.ONE.shiftLeft(5000), one, -5000);
        check(one, BigInteger.ONE.shiftLeft(5000), 5000);
        check(one, BigInteger.valueOf(3), 0);
        check(BigInteger.valueOf(-2), BigInteger.valueOf(3), -1073);
    }
}
