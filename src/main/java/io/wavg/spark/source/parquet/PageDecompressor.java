package io.wavg.spark.source.parquet;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import com.github.luben.zstd.Zstd;

/**
 * Decompresses pages into one reused direct buffer. Snappy and zstd, the codecs Spark writes, go
 * from direct memory to direct memory through their native libraries (both ship with Spark);
 * uncompressed pages are used where they lie; other codecs take parquet-hadoop's heap route.
 */
final class PageDecompressor implements Closeable {
    private final CompressionCodecName codec;
    private final Supplier<BytesInputDecompressor> fallbackSource;
    private BytesInputDecompressor fallback;
    private ByteBuffer output;

    /** @param fallback asked for a decompressor only when a page's codec needs one */
    PageDecompressor(CompressionCodecName codec, Supplier<BytesInputDecompressor> fallback) {
        this.codec = codec;
        this.fallbackSource = fallback;
    }

    /** The page's bytes, little-endian, valid until the next call. */
    ByteBuffer decompress(ByteBuffer compressed, int uncompressedSize) throws IOException {
        switch (codec) {
            case UNCOMPRESSED -> {
                return compressed;
            }
            case SNAPPY -> {
                if (compressed.isDirect()) {
                    // snappy writes what the block says it holds, whatever room there is: check first
                    int length = Snappy.uncompressedLength(compressed);
                    if (length != uncompressedSize) {
                        throw new IOException("page holds " + length + " bytes, its header says " + uncompressedSize);
                    }
                    ByteBuffer out = outputOf(uncompressedSize);
                    int n = Snappy.uncompress(compressed, out);
                    return checked(out, n, uncompressedSize);
                }
            }
            case ZSTD -> {
                if (compressed.isDirect()) {
                    ByteBuffer out = outputOf(uncompressedSize);
                    long n = Zstd.decompressDirectByteBuffer(out, 0, uncompressedSize, compressed,
                            compressed.position(), compressed.remaining());
                    if (Zstd.isError(n)) {
                        throw new IOException("zstd: " + Zstd.getErrorName(n));
                    }
                    out.limit((int) n);
                    return checked(out, (int) n, uncompressedSize);
                }
            }
            default -> { }
        }
        if (fallback == null) {
            fallback = fallbackSource.get();
        }
        byte[] bytes = new byte[compressed.remaining()];
        compressed.get(bytes);
        return ByteBuffer.wrap(fallback.decompress(BytesInput.from(bytes), uncompressedSize).toByteArray())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    int bufferBytes() {
        return output == null ? 0 : output.capacity();
    }

    private ByteBuffer outputOf(int size) {
        output = DirectBuffers.atLeast(output, size);
        return output;
    }

    private static ByteBuffer checked(ByteBuffer out, int produced, int expected) throws IOException {
        if (produced != expected) {
            throw new IOException("page decompressed to " + produced + " bytes, its header says " + expected);
        }
        return out.slice(0, produced).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        DirectBuffers.free(output);
        output = null;
    }
}
