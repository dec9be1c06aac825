package io.wavg.spark.source.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridEncoder;
import org.junit.jupiter.api.Test;

/** Bulk hybrid decoding gives what parquet-column's encoder wrote, however the reads are cut. */
class HybridIntsTest {

    private static ByteBuffer encode(int[] values, int bitWidth) throws Exception {
        RunLengthBitPackingHybridEncoder encoder = new RunLengthBitPackingHybridEncoder(bitWidth, 64, 1 << 20,
                HeapByteBufferAllocator.getInstance());
        for (int v : values) {
            encoder.writeInt(v);
        }
        return ByteBuffer.wrap(encoder.toBytes().toByteArray());
    }

    @Test
    void decodesRunsAndBitPackedGroupsOfEveryWidthInAnyCut() throws Exception {
        Random random = new Random(42);
        for (int bitWidth = 0; bitWidth <= 32; bitWidth++) {
            int[] values = new int[10_007];
            long bound = 1L << bitWidth;
            for (int i = 0; i < values.length; ) {
                // runs long enough for RLE, then stretches of distinct values that get bit-packed
                int v = (int) (bitWidth == 0 ? 0 : (random.nextLong() & (bound - 1)));
                int length = random.nextBoolean() ? 1 + random.nextInt(40) : 1;
                for (int k = 0; k < length && i < values.length; k++) {
                    values[i++] = v;
                }
            }
            HybridInts decoder = new HybridInts(encode(values, bitWidth), bitWidth);
            int[] decoded = new int[values.length];
            int[] cut = new int[64];
            for (int at = 0; at < values.length; ) {
                int n = Math.min(values.length - at, 1 + random.nextInt(cut.length));
                decoder.read(cut, n);
                System.arraycopy(cut, 0, decoded, at, n);
                at += n;
            }
            assertArrayEquals(values, decoded, "bit width " + bitWidth);
        }
    }

    @Test
    void aLastGroupCutShortReadsAsZeroPaddedAndNothingBeyondThePageIsRead() throws Exception {
        int[] values = {5, 1, 7, 3, 2, 6, 4, 0, 1, 2, 3};
        ByteBuffer full = encode(values, 3);
        // drop the padding byte of the last group: the values written stay readable
        ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(full.array(), full.limit() - 1));
        int[] decoded = new int[values.length];
        new HybridInts(cut, 3).read(decoded, values.length);
        assertArrayEquals(values, decoded);
        HybridInts past = new HybridInts(ByteBuffer.wrap(full.array(), 0, full.limit()), 3);
        assertThrows(RuntimeException.class, () -> past.read(new int[64], 64));
    }
}
