package io.wavg.bench;

/** Distance between two doubles in units in the last place: how many doubles lie between them. */
final class Ulps {
    private Ulps() {}

    static long between(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        return Math.abs(ordered(a) - ordered(b));
    }

    /** Maps doubles onto longs so that adjacent doubles are adjacent integers. */
    private static long ordered(double x) {
        long bits = Double.doubleToRawLongBits(x);
        return bits < 0 ? Long.MIN_VALUE - bits : bits;
    }
}
