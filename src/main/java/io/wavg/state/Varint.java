package io.wavg.state;

import java.nio.ByteBuffer;

/** Unsigned LEB128 integers: small counts and offsets take one byte in a serialized state. */
final class Varint {
    private Varint() {}

    static int size(long value) {
        int bytes = 1;
        while ((value & ~0x7fL) != 0) {
            value >>>= 7;
            bytes++;
        }
        return bytes;
    }

    static void write(ByteBuffer out, long value) {
        while ((value & ~0x7fL) != 0) {
            out.put((byte) ((value & 0x7f) | 0x80));
            value >>>= 7;
        }
        out.put((byte) value);
    }

    /** Throws IllegalArgumentException for a varint longer than 64 bits. */
    static long read(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.get() & 0xff;
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint longer than 64 bits");
    }
}
