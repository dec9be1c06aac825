package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The Spark tests trust {@link ExactReference}; these checks keep that trust cheap to earn. */
class ExactReferenceTest {

    @Test
    void everyDoubleRoundsToItself() {
        Random random = new Random(1);
        double[] edges = {Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, 1.0, 0.1, 3 * Double.MIN_VALUE,
                Math.nextDown(Double.MIN_NORMAL), Math.nextUp(1.0)};
        for (double d : edges) {
            assertEquals(d, ExactReference.quotient(new BigDecimal(d), BigDecimal.ONE));
            assertEquals(-d, ExactReference.quotient(new BigDecimal(-d), BigDecimal.ONE));
        }
        for (int i = 0; i < 2000; i++) {
            double d = Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL);
            assertEquals(d, ExactReference.quotient(new BigDecimal(d), BigDecimal.ONE), () -> "for " + d);
        }
    }

    @Test
    void quotientsMatchDoubleDivisionOfExactOperands() {
        // IEEE division of two doubles is correctly rounded, so it is an independent oracle
        Random random = new Random(2);
        for (int i = 0; i < 5000; i++) {
            double a = Math.scalb(random.nextDouble() - 0.5, random.nextInt(400) - 200);
            double b = Math.scalb(random.nextDouble() + 0.01, random.nextInt(400) - 200);
            assertEquals(a / b, ExactReference.quotient(new BigDecimal(a), new BigDecimal(b)), () -> a + " / " + b);
            assertEquals(a / -b, ExactReference.quotient(new BigDecimal(a), new BigDecimal(-b)), () -> a + " / -" + b);
        }
        // 2^-1076 is a quarter of the smallest subnormal, 3 * 2^-1076 three quarters of it
        assertEquals(0.0, ExactReference.quotient(BigInteger.ONE, BigInteger.TWO.pow(1076)));
        assertEquals(Double.MIN_VALUE, ExactReference.quotient(BigInteger.valueOf(3), BigInteger.TWO.pow(1076)));
        assertEquals(Double.POSITIVE_INFINITY, ExactReference.quotient(BigInteger.TWO.pow(1024), BigInteger.ONE));
    }

    @Test
    void tiesGoToEven() {
        BigInteger two53 = BigInteger.TWO.pow(53);
        // 2^53 + 1 is halfway between 2^53 and 2^53 + 2; 2^53 + 3 halfway between + 2 and + 4
        assertEquals(0x1p53, ExactReference.quotient(two53.add(BigInteger.ONE), BigInteger.ONE));
        assertEquals(0x1p53 + 4, ExactReference.quotient(two53.add(BigInteger.valueOf(3)), BigInteger.ONE));
        BigDecimal third = BigDecimal.ONE.divide(BigDecimal.valueOf(3), new MathContext(100));
        assertEquals(1.0 / 3, ExactReference.quotient(third, BigDecimal.ONE));
    }

    @Test
    void nullAndNanRules() {
        assertNull(new ExactReference().average());
        assertNull(new ExactReference().add(null, 1.0).add(2.0, null).average());
        assertNull(new ExactReference().add(3.0, 1.0).add(1.0, -1.0).average());
        assertEquals(Double.NaN, new ExactReference().add(Double.NaN, 1.0).add(1.0, 1.0).average());
        assertEquals(2.0, new ExactReference().add(Double.NaN, 1.0).add(1.0, 1.0).totalWeight());
        assertEquals(Double.NaN, new ExactReference().add(1.0, Double.NaN).add(1.0, 1.0).totalWeight());
        assertEquals(1.0, new ExactReference().add(1.0, 1e16).add(1.0, 1.0).add(1.0, -1e16).average());
    }
}
