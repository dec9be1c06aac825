package io.wavg.spark;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The weighted average computed independently of the production code: BigDecimal holds every double
 * and every product of two doubles exactly, and {@link #quotient} rounds the exact ratio to the
 * nearest double (ties to even) with integer arithmetic only. Finite inputs and NaN are supported.
 */
final class ExactReference {
    private BigDecimal weights = BigDecimal.ZERO;
    private BigDecimal products = BigDecimal.ZERO;
    private long pairs;
    private boolean nanWeight;
    private boolean nanProduct;

    /** Adds a pair; a NULL side skips it, as weighted_avg does. */
    ExactReference add(Double value, Double weight) {
        if (value == null || weight == null) {
            return this;
        }
        if (value.isInfinite() || weight.isInfinite()) {
            throw new IllegalArgumentException("the reference only handles finite values and NaN");
        }
        pairs++;
        // a NaN value spoils the product sum only: the pair's weight still counts in the total
        if (weight.isNaN()) {
            nanWeight = true;
        } else {
            weights = weights.add(new BigDecimal(weight));
        }
        if (value.isNaN() || weight.isNaN()) {
            nanProduct = true;
        } else {
            products = products.add(new BigDecimal(weight).multiply(new BigDecimal(value)));
        }
        return this;
    }

    long pairs() {
        return pairs;
    }

    /** NULL without pairs or with a total weight of exactly 0, NaN after a NaN, else the rounded ratio. */
    Double average() {
        if (pairs == 0) {
            return null;
        }
        if (nanProduct) {
            return Double.NaN;
        }
        if (weights.signum() == 0) {
            return null;
        }
        return quotient(products, weights);
    }

    /** The correctly rounded total weight; NULL without pairs, as weighted_avg_stats reports it. */
    Double totalWeight() {
        if (pairs == 0) {
            return null;
        }
        return nanWeight ? Double.NaN : quotient(weights, BigDecimal.ONE);
    }

    /** num / den rounded to the nearest double, ties to even. */
    static double quotient(BigDecimal num, BigDecimal den) {
        // (a * 10^-sa) / (b * 10^-sb) = a * 10^(sb - sa) / b
        BigInteger p = num.unscaledValue();
        BigInteger q = den.unscaledValue();
        int tens = den.scale() - num.scale();
        if (tens > 0) {
            p = p.multiply(BigInteger.TEN.pow(tens));
        } else {
            q = q.multiply(BigInteger.TEN.pow(-tens));
        }
        if (q.signum() < 0) {
            p = p.negate();
            q = q.negate();
        }
        return quotient(p, q);
    }

    /** p / q rounded to the nearest double, ties to even; q must be positive. */
    static double quotient(BigInteger p, BigInteger q) {
        if (q.signum() <= 0) {
            throw new IllegalArgumentException("denominator must be positive");
        }
        if (p.signum() == 0) {
            return 0.0;
        }
        boolean negative = p.signum() < 0;
        p = p.abs();
        // p / q / 2^e lies in (2^52, 2^54) for this e; one step down to [2^52, 2^53) if needed
        int e = p.bitLength() - q.bitLength() - 53;
        BigInteger[] scaled = divide(p, q, e);
        if (scaled[0].bitLength() > 53) {
            scaled = divide(p, q, ++e);
        }
        if (e < -1074) { // subnormal: the last bit is worth 2^-1074, fewer than 53 bits remain
            e = -1074;
            scaled = divide(p, q, e);
        }
        BigInteger mantissa = scaled[0];
        int half = scaled[1].shiftLeft(1).compareTo(scaled[2]);
        if (half > 0 || (half == 0 && mantissa.testBit(0))) {
            mantissa = mantissa.add(BigInteger.ONE);
        }
        // mantissa <= 2^53 is exact as a double; scalb is exact down to 2^-1074 and overflows to infinity
        double magnitude = Math.scalb(mantissa.doubleValue(), e);
        return negative ? -magnitude : magnitude;
    }

    /** {floor(p / (q * 2^e)), remainder, divisor} with the divisor scaled to keep integers. */
    private static BigInteger[] divide(BigInteger p, BigInteger q, int e) {
        BigInteger num = e < 0 ? p.shiftLeft(-e) : p;
        BigInteger den = e > 0 ? q.shiftLeft(e) : q;
        BigInteger[] qr = num.divideAndRemainder(den);
        return new BigInteger[] {qr[0], qr[1], den};
    }
}
