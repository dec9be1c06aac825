package io.wavg.state;

import java.math.BigInteger;

/** Correctly rounded (to nearest, ties to even) doubles from exact integers and quotients. */
final class ExactRounding {
    private ExactRounding() {}

    /** num / den * 2^scale rounded to the nearest double; den must be positive. */
    static double quotient(BigInteger num, BigInteger den, int scale) {
        int sign = num.signum();
        if (sign == 0) {
            return 0.0;
        }
        BigInteger magnitude = num.abs();
        int shift = 56 - magnitude.bitLength() + den.bitLength(); // quotient in [2^55, 2^57)
        BigInteger[] qr = shift >= 0
                ? magnitude.shiftLeft(shift).divideAndRemainder(den)
                : magnitude.divideAndRemainder(den.shiftLeft(-shift));
        double rounded = roundScaled(qr[0].longValueExact(), scale - shift, qr[1].signum() != 0);
        return sign < 0 ? -rounded : rounded;
    }

    /**
     * Rounds q * 2^exponent to the nearest double, ties to even; {@code sticky} says the exact value
     * lies a little above q * 2^exponent. q is positive and below 2^63.
     */
    private static double roundScaled(long q, int exponent, boolean sticky) {
        int length = 64 - Long.numberOfLeadingZeros(q);
        int drop = length - 53;
        if (exponent + drop < -1074) {
            drop = -1074 - exponent; // subnormal: the lowest kept bit is 2^-1074
        }
        if (drop <= 0) {
            return Math.scalb((double) q, exponent);
        }
        if (drop > 63) {
            return 0.0; // below half of the smallest subnormal
        }
        long kept = q >>> drop;
        long rest = q & ((1L << drop) - 1);
        long half = 1L << (drop - 1);
        if (rest > half || (rest == half && (sticky || (kept & 1) != 0))) {
            kept++;
        }
        return Math.scalb((double) kept, exponent + drop);
    }
}
