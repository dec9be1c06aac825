package io.wavg.state;

import static io.wavg.kernel.StateLayout.DIGITS;

import java.nio.ByteBuffer;
import java.math.BigInteger;

/**
 * An exact sum held as a window of 32-bit two's complement digits: the value is
 * sum(digits[i] * 2^(32 (low + i) - BIAS_BITS)), the top digit signed. Only the digits the data
 * needs are kept, so a sum of values within a few orders of magnitude takes a handful of digits.
 */
final class FixedPointSum {
    private static final int[] ZERO = new int[0];
    private static final long DIGIT_MASK = 0xffffffffL;

    private int low;
    private int[] digits = ZERO;

    /** Adds the digits of a kernel state in canonical form, starting at {@code from}. */
    void addCanonical(long[] state, int from) {
        int first = 0;
        while (first < DIGITS && state[from + first] == 0) {
            first++;
        }
        if (first == DIGITS) {
            return;
        }
        int[] window = new int[DIGITS - first];
        for (int i = 0; i < window.length; i++) {
            window[i] = (int) state[from + first + i];
        }
        add(first, window);
    }

    /** Adds a finite double exactly. */
    void addDouble(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int exponent = (int) (bits >>> 52) & 0x7ff;
        long significand = bits & ((1L << 52) - 1);
        if (exponent != 0) {
            significand |= 1L << 52;
        } else {
            exponent = 1;
        }
        if (significand == 0) {
            return;
        }
        int position = exponent - 1075 + io.wavg.kernel.StateLayout.BIAS_BITS; // of the lowest bit
        int shift = position & 31;
        long low = significand << shift;
        long high = (significand >>> 1) >>> (63 - shift);
        int[] digits = {(int) low, (int) (low >>> 32), (int) high, 0}; // a zero top digit keeps it positive
        if (bits < 0) { // two's complement of the magnitude
            long carry = 1;
            for (int i = 0; i < digits.length; i++) {
                long d = (~digits[i] & DIGIT_MASK) + carry;
                digits[i] = (int) d;
                carry = d >>> 32;
            }
        }
        add(position >>> 5, digits);
    }

    void add(FixedPointSum other) {
        add(other.low, other.digits);
    }

    private void add(int otherLow, int[] other) {
        if (other.length == 0) {
            return;
        }
        if (digits.length == 0) {
            low = otherLow;
            digits = other.clone();
            trim();
            return;
        }
        int newLow = Math.min(low, otherLow);
        int newHigh = Math.max(low + digits.length, otherLow + other.length) + 1; // room for the carry
        int[] sum = new int[newHigh - newLow];
        long carry = 0;
        for (int i = 0; i < sum.length; i++) {
            long total = (digitAt(digits, low, newLow + i) & DIGIT_MASK)
                    + (digitAt(other, otherLow, newLow + i) & DIGIT_MASK) + carry;
            sum[i] = (int) total;
            carry = total >>> 32;
        }
        low = newLow;
        digits = sum;
        trim();
    }

    /** The digit at an absolute position, sign-extended above the window and zero below it. */
    private static int digitAt(int[] window, int windowLow, int position) {
        int i = position - windowLow;
        if (i < 0) {
            return 0;
        }
        if (i >= window.length) {
            return window[window.length - 1] >> 31;
        }
        return window[i];
    }

    /** Drops zero digits at the bottom and pure sign-extension digits at the top. */
    private void trim() {
        int start = 0;
        int end = digits.length;
        while (end > 1 && digits[end - 1] == digits[end - 2] >> 31) {
            end--;
        }
        if (end == 1 && digits[0] == 0) {
            end = 0;
        }
        while (start < end && digits[start] == 0) {
            start++;
        }
        if (start > 0 || end < digits.length) {
            int[] kept = new int[end - start];
            System.arraycopy(digits, start, kept, 0, kept.length);
            digits = kept.length == 0 ? ZERO : kept;
            low = kept.length == 0 ? 0 : low + start;
        }
    }

    int signum() {
        return digits.length == 0 ? 0 : (digits[digits.length - 1] < 0 ? -1 : 1);
    }

    /** The sum times 2^BIAS_BITS, an integer. */
    BigInteger scaled() {
        if (digits.length == 0) {
            return BigInteger.ZERO;
        }
        byte[] bigEndian = new byte[4 * digits.length];
        for (int i = 0; i < digits.length; i++) {
            int d = digits[digits.length - 1 - i];
            bigEndian[4 * i] = (byte) (d >>> 24);
            bigEndian[4 * i + 1] = (byte) (d >>> 16);
            bigEndian[4 * i + 2] = (byte) (d >>> 8);
            bigEndian[4 * i + 3] = (byte) d;
        }
        return new BigInteger(bigEndian).shiftLeft(32 * low);
    }

    int digitCount() {
        return digits.length;
    }

    int serializedSize() {
        return Varint.size(low) + Varint.size(digits.length) + 4 * digits.length;
    }

    void write(ByteBuffer out) {
        Varint.write(out, low);
        Varint.write(out, digits.length);
        for (int d : digits) {
            out.putInt(d);
        }
    }

    /** Adds a sum in the form {@link #write} gives; IllegalArgumentException if it is corrupt. */
    void addSerialized(ByteBuffer in) {
        // checked as longs: an int cast or an int sum could wrap a corrupt offset back into range
        long low = Varint.read(in);
        long length = Varint.read(in);
        if (low < 0 || length < 0 || low > DIGITS + 1 || length > DIGITS + 1 - low) {
            throw new IllegalArgumentException("digit window " + Long.toUnsignedString(low) + "+"
                    + Long.toUnsignedString(length) + " is out of range");
        }
        int[] digits = new int[(int) length];
        for (int i = 0; i < length; i++) {
            digits[i] = in.getInt();
        }
        add((int) low, digits);
    }
}
