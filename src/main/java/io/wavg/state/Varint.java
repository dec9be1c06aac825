package io.wavg.state;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Unsigned LEB128 integers: small counts and offsets take one byte in a serialized state. */
final class Varint {
    private Varint() {}

    static void write(DataOutput out, long value) throws IOException {
        while ((value & ~0x7fL) != 0) {
            out.writeByte((int) ((value & 0x7f) | 0x80));
            value >>>= 7;
        }
        out.writeByte((int) value);
    }

    static long read(DataInput in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("varint longer than 64 bits");
    }
}
