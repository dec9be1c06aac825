package io.wavg.spark.source.parquet;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.apache.parquet.column.values.bitpacking.BytePacker;
import org.apache.parquet.column.values.bitpacking.Packer;

/**
 * Small unsigned ints stored in Parquet's RLE / bit-packed hybrid encoding (dictionary ids), decoded
 * many at a time: a repeated run is one fill, bit-packed groups of eight are unpacked straight into
 * the output. parquet-column's decoder takes a call and a branch per value, which on dictionary pages
 * cost more than everything else the scan does.
 */
final class HybridInts {
    private final ByteBuffer in;
    private final int bitWidth;
    private final BytePacker packer;
    private int repeatsLeft;
    private int repeated;
    private int groupsLeft;
    private byte[] packed = new byte[0]; // the current bit-packed run, copied off the page: unpacking reads
    private int packedAt;                // a heap array far faster than a direct buffer, byte by byte
    private final int[] group = new int[8]; // a bit-packed group of which only the first values were taken
    private int groupAt = 8;

    /** @param in the encoded ints from its position on, read little-endian */
    HybridInts(ByteBuffer in, int bitWidth) {
        if (bitWidth < 0 || bitWidth > 32) {
            throw new IllegalArgumentException("a bit width of " + bitWidth);
        }
        this.in = in;
        this.bitWidth = bitWidth;
        this.packer = Packer.LITTLE_ENDIAN.newBytePacker(bitWidth);
    }

    /** The next n ints into out[0, n). */
    void read(int[] out, int n) {
        int i = 0;
        while (i < n) {
            if (repeatsLeft > 0) {
                int run = Math.min(repeatsLeft, n - i);
                Arrays.fill(out, i, i + run, repeated);
                repeatsLeft -= run;
                i += run;
            } else if (groupAt < 8) {
                out[i++] = group[groupAt++];
            } else if (groupsLeft > 0) {
                for (; groupsLeft > 0 && n - i >= 8; groupsLeft--, i += 8) {
                    unpackGroup(out, i);
                }
                if (groupsLeft > 0 && i < n) {
                    unpackGroup(group, 0);
                    groupsLeft--;
                    groupAt = 0;
                }
            } else {
                int header = unsignedVarint();
                if ((header & 1) == 0) {
                    repeatsLeft = header >>> 1;
                    repeated = littleEndian((bitWidth + 7) / 8);
                } else {
                    startPackedRun(header >>> 1);
                }
            }
        }
    }

    /**
     * Copies a run of bit-packed groups off the page. A page whose last group is cut short (as some
     * writers leave it) reads as if padded with zero bits, as parquet-column reads it; nothing beyond
     * the page is read.
     */
    private void startPackedRun(int groups) {
        // never more room than the page holds and one group's padding: a lying header fails on reading
        int present = (int) Math.min((long) groups * bitWidth, in.remaining());
        int bytes = (int) Math.min((long) groups * bitWidth, present + bitWidth);
        if (groups > 0 && bitWidth > 0 && present == 0) {
            throw new IllegalStateException("bit-packed ids announced beyond the end of the page");
        }
        if (packed.length < bytes) {
            packed = new byte[Math.max(bytes, 2 * packed.length)];
        }
        in.get(packed, 0, present);
        Arrays.fill(packed, present, bytes, (byte) 0);
        packedAt = 0;
        groupsLeft = groups;
    }

    /** The next eight ints of the bit-packed run into out[at, at + 8). */
    private void unpackGroup(int[] out, int at) {
        packer.unpack8Values(packed, packedAt, out, at);
        packedAt += bitWidth;
    }

    private int unsignedVarint() {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.get() & 0xff;
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalStateException("a run header longer than five bytes");
    }

    private int littleEndian(int bytes) {
        int value = 0;
        for (int b = 0; b < bytes; b++) {
            value |= (in.get() & 0xff) << (8 * b);
        }
        return value;
    }
}
