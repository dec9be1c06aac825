package io.wavg.state;

import static io.wavg.kernel.StateLayout.DIGITS;

import java.nio.ByteBuffer;
import java.math.BigInteger;

/**
 * An exact sum held as a window of 32-bit two's complement digits: the value is
 * sum(digits[i] * 2^(32 (low + i) - BIAS_BITS)) over i below {@code length}, the top digit signed. Only
 * the digits the data needs are kept, so a sum of values within a few orders of magnitude takes a
 * handful of digits. Additions work in place while the window has room, so adding to a group's sum
 * does not allocate; the window only grows, by a digit or two of slack, when a part falls outside it.
 */
final class FixedPointSum {
    private static final int[] ZERO = new int[0];
    private static final long DIGIT_MASK = 0xffffffffL;
    /** Digits a new window gets beyond what it must hold, so that carries and nearby parts fit. */
    private static final int SLACK = 2;
    /**
     * Digits a zero sum's window keeps below its first part at most: the parts of a group's levels that
     * come next lie a little lower (GroupedSums), and more would be zeros to fill and to skip.
     */
    private static final int ROOM_BELOW = 6;

    private int low;
    private int length;
    private int[] digits = ZERO;

    FixedPointSum() {}

    /** A zero sum with room for a window of this many digits. */
    FixedPointSum(int capacity) {
        digits = new int[capacity];
    }

    /** Makes the sum zero, keeping its array for the next additions. */
    void clear() {
        length = 0;
    }

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
        add(first, window, window.length, window[window.length - 1] >> 31);
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
        long high = (significand >>> 1) >>> (63 - shift); // below 2^21: bits 64..84 of significand * 2^shift
        long d0 = low & DIGIT_MASK;
        long d1 = low >>> 32;
        if (bits < 0) { // two's complement of the 96-bit magnitude; the digits above are all ones
            d0 = (~d0 & DIGIT_MASK) + 1;
            d1 = (~d1 & DIGIT_MASK) + (d0 >>> 32);
            high = (~high & DIGIT_MASK) + (d1 >>> 32);
        }
        addThree(position >>> 5, (int) d0, (int) d1, (int) high, bits < 0 ? -1 : 0);
    }

    void add(FixedPointSum other) {
        if (other.length > 0) {
            add(other.low, other.digits, other.length, other.digits[other.length - 1] >> 31);
        }
    }

    /**
     * Adds three digits at {@code at}, with {@code extension} (0 or -1) in every digit above them: a
     * double's part, added without an array while the window has room for it.
     */
    private void addThree(int at, int d0, int d1, int d2, int extension) {
        if (length == 0) {
            place(at, 3);
        }
        if (at < low || at + 3 > low + digits.length) {
            add(at, new int[] {d0, d1, d2}, 3, extension);
            return;
        }
        extendTo(at + 3);
        int sign = digits[length - 1] >> 31;
        int i = at - low;
        long carry = (digits[i] & DIGIT_MASK) + (d0 & DIGIT_MASK);
        digits[i] = (int) carry;
        carry = (digits[i + 1] & DIGIT_MASK) + (d1 & DIGIT_MASK) + (carry >>> 32);
        digits[i + 1] = (int) carry;
        carry = (digits[i + 2] & DIGIT_MASK) + (d2 & DIGIT_MASK) + (carry >>> 32);
        digits[i + 2] = (int) carry;
        propagate(i + 3, sign, extension, carry >>> 32);
    }

    /**
     * Adds {@code other[0..otherLength)}, digits from position {@code otherLow} on, with {@code extension}
     * (0 or -1) in every digit above them.
     */
    private void add(int otherLow, int[] other, int otherLength, int extension) {
        if (length == 0) {
            place(otherLow, otherLength);
        }
        int top = Math.max(low + length, otherLow + otherLength);
        if (otherLow < low || top > low + digits.length) {
            move(Math.min(low, otherLow), top + 1); // a digit of room for a carry out of the top
        }
        extendTo(top);
        int sign = length == 0 ? 0 : digits[length - 1] >> 31;
        int i = otherLow - low;
        long carry = 0;
        for (int j = 0; j < otherLength; j++, i++) {
            carry = (digits[i] & DIGIT_MASK) + (other[j] & DIGIT_MASK) + carry;
            digits[i] = (int) carry;
            carry >>>= 32;
        }
        propagate(i, sign, extension, carry);
    }

    /**
     * Adds {@code extension} (0 or -1) and the carry to every digit from {@code i} up, stopping once
     * nothing more can change. The digits above the window are copies of {@code sign}, the top digit's
     * sign before the addition; when the addition reaches them, one more digit holds what they become.
     * The top is not trimmed here (see {@link #canonicalLength}), so a sum that keeps its magnitude adds
     * without touching its length.
     */
    private void propagate(int i, int sign, int extension, long carry) {
        long ones = extension & DIGIT_MASK;
        // with extension 0 a zero carry leaves the rest alone; with all ones a carry of 1 does
        while (i < length && carry != (ones & 1)) {
            carry = (digits[i] & DIGIT_MASK) + ones + carry;
            digits[i] = (int) carry;
            carry >>>= 32;
            i++;
        }
        if (i < length) {
            return;
        }
        if (carry != (ones & 1)) { // every digit above becomes sign + extension + carry, then stays as the new top says
            append((int) ((sign & DIGIT_MASK) + ones + carry));
        } else if (length > 0 && digits[length - 1] >> 31 != sign) { // the digits above keep the old sign
            append(sign);
        }
    }

    private void append(int digit) {
        if (length == digits.length) {
            move(low, low + length + 1);
        }
        digits[length++] = digit;
    }

    /**
     * A zero sum keeps no position: its window goes where a first part of {@code count} digits at
     * {@code at} falls, in the array it has (a cleared or presized one) when that has room, with a
     * little slack above and some room below.
     */
    private void place(int at, int count) {
        low = Math.max(0, Math.min(at - SLACK, Math.max(at - ROOM_BELOW, at + count + SLACK - digits.length)));
    }

    /** Sign-extends the window up to digit position {@code high} (exclusive); the array has room. */
    private void extendTo(int high) {
        int sign = length == 0 ? 0 : digits[length - 1] >> 31;
        while (low + length < high) {
            digits[length++] = sign;
        }
    }

    /**
     * Copies the window into a new array that covers positions {@code newLow..high}, with some slack on
     * either side, so the next parts near this one add in place.
     */
    private void move(int newLow, int high) {
        int from = Math.max(0, newLow - SLACK);
        int[] moved = new int[high + SLACK - from];
        System.arraycopy(digits, 0, moved, low - from, length);
        length += low - from; // a zero sum's low is newLow: its window becomes the zeros below it
        low = from;
        digits = moved;
    }

    /**
     * The window's length without pure sign-extension digits at the top, which additions leave there;
     * 0 for a sum of zero.
     */
    private int canonicalLength() {
        int top = length;
        while (top > 1 && digits[top - 1] == digits[top - 2] >> 31) {
            top--;
        }
        return top == 1 && digits[0] == 0 ? 0 : top;
    }

    /** Index of the lowest non-zero digit; the window must not be zero. */
    private int lowestNonZero() {
        int i = 0;
        while (digits[i] == 0) {
            i++;
        }
        return i;
    }

    /** What {@link #approximate} returns for a sum of zero. */
    static final int ZERO_SCALE = Integer.MIN_VALUE;

    /**
     * The sum as (out[0] + out[1]) * 2^scale, a normalized double-double within a relative 2^-100 of it,
     * and returns the scale; {@link #ZERO_SCALE} for zero. The top digits are summed with error-free
     * transformations, scaled so that the top one is the unit: no overflow or underflow whatever the
     * sum's magnitude, and the digits left below hold less than 2^-120 of it.
     */
    int approximate(double[] out) {
        int top = canonicalLength();
        if (top == 0) {
            return ZERO_SCALE;
        }
        double sum = digits[top - 1]; // signed; the digits below add their unsigned values
        double error = 0.0;
        double unit = 1.0;
        for (int i = top - 2; i >= Math.max(0, top - 5); i--) {
            unit *= 0x1p-32;
            double part = (digits[i] & DIGIT_MASK) * unit; // exact: 32 bits times a power of two
            double next = sum + part;
            double partKept = next - sum;
            error += (sum - (next - partKept)) + (part - partKept); // what the addition rounded off
            sum = next;
        }
        double hi = sum + error;
        out[0] = hi;
        out[1] = error - (hi - sum);
        return 32 * (low + top - 1) - io.wavg.kernel.StateLayout.BIAS_BITS;
    }

    int signum() {
        int top = canonicalLength();
        return top == 0 ? 0 : (digits[top - 1] < 0 ? -1 : 1);
    }

    /** The sum times 2^BIAS_BITS, an integer. */
    BigInteger scaled() {
        if (length == 0) {
            return BigInteger.ZERO;
        }
        byte[] bigEndian = new byte[4 * length];
        for (int i = 0; i < length; i++) {
            int d = digits[length - 1 - i];
            bigEndian[4 * i] = (byte) (d >>> 24);
            bigEndian[4 * i + 1] = (byte) (d >>> 16);
            bigEndian[4 * i + 2] = (byte) (d >>> 8);
            bigEndian[4 * i + 3] = (byte) d;
        }
        return new BigInteger(bigEndian).shiftLeft(32 * low);
    }

    /** Digits the sum needs: the window without zeros at its bottom or surplus sign digits at its top. */
    int digitCount() {
        int top = canonicalLength();
        return top == 0 ? 0 : top - lowestNonZero();
    }

    int serializedSize() {
        int top = canonicalLength();
        int first = top == 0 ? 0 : lowestNonZero();
        return Varint.size(top == 0 ? 0 : low + first) + Varint.size(top - first) + 4 * (top - first);
    }

    /** Writes the canonical window: no zero digit at the bottom, no surplus sign digit at the top. */
    void write(ByteBuffer out) {
        int top = canonicalLength();
        int first = top == 0 ? 0 : lowestNonZero();
        Varint.write(out, top == 0 ? 0 : low + first);
        Varint.write(out, top - first);
        for (int i = first; i < top; i++) {
            out.putInt(digits[i]);
        }
    }

    /** Adds a sum in the form {@link #write} gives; IllegalArgumentException if it is corrupt. */
    void addSerialized(ByteBuffer in) {
        // checked as longs: an int cast or an int sum could wrap a corrupt offset back into range
        long windowLow = Varint.read(in);
        long windowLength = Varint.read(in);
        if (windowLow < 0 || windowLength < 0 || windowLow > DIGITS + 1 || windowLength > DIGITS + 1 - windowLow) {
            throw new IllegalArgumentException("digit window " + Long.toUnsignedString(windowLow) + "+"
                    + Long.toUnsignedString(windowLength) + " is out of range");
        }
        int[] window = new int[(int) windowLength];
        for (int i = 0; i < window.length; i++) {
            window[i] = in.getInt();
        }
        if (window.length > 0) {
            add((int) windowLow, window, window.length, window[window.length - 1] >> 31);
        }
    }
}
