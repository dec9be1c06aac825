package io.wavg.state;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Test oracle for weighted_avg, deliberately independent of production code: exact sums as
 * BigDecimal (every finite double is one) and its own round-to-nearest-even of a rational, built
 * from an exact floor division and a remainder comparison rather than guard bits plus sticky.
 */
public final class ExactReference {
    private static final BigInteger TWO_52 = BigInteger.ONE.shiftLeft(52);

    private ExactReference() {}

    /** Exact sums over pairs whose weight and value are both finite. */
    public record Sums(BigDecimal weight, BigDecimal product, long count) {
        public static final Sums EMPTY = new Sums(BigDecimal.ZERO, BigDecimal.ZERO, 0);

        public Sums plus(double w, double v) {
            if (!Double.isFinite(w) || !Double.isFinite(v)) {
                throw new IllegalArgumentException("reference sums only take finite pairs");
            }
            BigDecimal bw = new BigDecimal(w);
            return new Sums(weight.add(bw), product.add(bw.multiply(new BigDecimal(v))), count + 1);
        }

        public Sums plus(Sums other) {
            return new Sums(weight.add(other.weight), product.add(other.product), count + other.count);
        }

        /** Correctly rounded Σw. */
        public double totalWeight() {
            return round(weight);
        }

        /** Correctly rounded Σ(w·v)/Σw, or null for no pairs or an exactly zero Σw. */
        public Double average() {
            if (count == 0 || weight.signum() == 0) {
                return null;
            }
            return quotient(product, weight);
        }
    }

    /** Sums of n interleaved (weight, value) pairs; every number must be finite. */
    public static Sums sums(double[] pairs, int n) {
        BigDecimal w = BigDecimal.ZERO;
        BigDecimal p = BigDecimal.ZERO;
        for (int i = 0; i < n; i++) {
            BigDecimal bw = new BigDecimal(pairs[2 * i]);
            w = w.add(bw);
            p = p.add(bw.multiply(new BigDecimal(pairs[2 * i + 1])));
        }
        return new Sums(w, p, n);
    }

    /** Correctly rounded a / b for exact decimals. */
    public static double quotient(BigDecimal a, BigDecimal b) {
        // a = ua 10^-sa and b = ub 10^-sb, so a / b = ua 10^sb / (ub 10^sa)
        BigInteger num = a.unscaledValue();
        BigInteger den = b.unscaledValue();
        int shift = b.scale() - a.scale();
        if (shift >= 0) {
            num = num.multiply(BigInteger.TEN.pow(shift));
        } else {
            den = den.multiply(BigInteger.TEN.pow(-shift));
        }
        return round(num, den);
    }

    /** Correctly rounded exact decimal. */
    public static double round(BigDecimal x) {
        return x.scale() >= 0
                ? round(x.unscaledValue(), BigInteger.TEN.pow(x.scale()))
                : round(x.unscaledValue().multiply(BigInteger.TEN.pow(-x.scale())), BigInteger.ONE);
    }

    /**
     * num / den rounded to the nearest double, ties to even, with overflow to infinity and gradual
     * underflow. An exact zero gives +0.0; a non-zero value that rounds to zero keeps its sign.
     */
    public static double round(BigInteger num, BigInteger den) {
        if (den.signum() == 0) {
            throw new ArithmeticException("zero denominator");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        if (num.signum() == 0) {
            return 0.0;
        }
        long sign = num.signum() < 0 ? Long.MIN_VALUE : 0;
        BigInteger a = num.abs();
        // e = floor(log2(a / den)): 2^e <= a/den < 2^(e+1)
        int e = a.bitLength() - den.bitLength();
        if (compareWithPowerOfTwo(a, den, e) < 0) {
            e--;
        }
        if (e > Double.MAX_EXPONENT) {
            return Double.longBitsToDouble(sign | Double.doubleToRawLongBits(Double.POSITIVE_INFINITY));
        }
        // unit in the last place of the result: 2^-1074 below the normal range
        int ulp = Math.max(e, Double.MIN_EXPONENT) - 52;
        BigInteger n = ulp >= 0 ? a : a.shiftLeft(-ulp);
        BigInteger d = ulp >= 0 ? den.shiftLeft(ulp) : den;
        BigInteger[] qr = n.divideAndRemainder(d);
        BigInteger q = qr[0];
        int half = qr[1].shiftLeft(1).compareTo(d);
        if (half > 0 || (half == 0 && q.testBit(0))) {
            q = q.add(BigInteger.ONE);
        }
        if (q.bitLength() == 54) { // rounded up to 2^53: one more binade
            q = q.shiftRight(1);
            ulp++;
        }
        long bits;
        if (q.compareTo(TWO_52) < 0) {
            bits = q.longValueExact(); // subnormal (ulp is -1074), or zero after underflow
        } else {
            long biased = ulp + 52L + 1023L;
            bits = biased >= 0x7ff
                    ? Double.doubleToRawLongBits(Double.POSITIVE_INFINITY)
                    : biased << 52 | q.subtract(TWO_52).longValueExact();
        }
        return Double.longBitsToDouble(sign | bits);
    }

    /** Sign of a - den * 2^e. */
    private static int compareWithPowerOfTwo(BigInteger a, BigInteger den, int e) {
        return e >= 0 ? a.compareTo(den.shiftLeft(e)) : a.shiftLeft(-e).compareTo(den);
    }

    /** Exact 2^k as a decimal (k may be negative: 2^-k = 5^k / 10^k). */
    public static BigDecimal powerOfTwo(int k) {
        return k >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(k))
                : new BigDecimal(BigInteger.valueOf(5).pow(-k), -k);
    }

    /**
     * Exact value of one digit vector of a kernel state, normalized or not, read straight from the
     * documented layout: digit i weighs 2^(32 i - biasBits), every digit a signed 64-bit word.
     */
    public static BigDecimal digitsValue(long[] state, int from, int digits, int biasBits) {
        BigInteger scaled = BigInteger.ZERO;
        for (int i = 0; i < digits; i++) {
            scaled = scaled.add(BigInteger.valueOf(state[from + i]).shiftLeft(32 * i));
        }
        return new BigDecimal(scaled).multiply(powerOfTwo(-biasBits));
    }

    /** Bits of a result as text, for failure messages. */
    public static String describe(double x) {
        return x + " (0x" + Long.toHexString(Double.doubleToRawLongBits(x)) + ")";
    }
}
