package io.wavg.spark.source.parquet;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The PLAIN doubles of one page, read where they lie in the file's bytes a piece at a time, so neither
 * the whole page nor a decompressed copy of it is ever held: the page's bytes when it is uncompressed,
 * the literals' bytes when snappy stored it as literals only, which is what snappy writes for data it
 * cannot compress (random doubles are such data). Each piece is read into the start of the chunk's
 * window and handed on from there while it is still in the core's cache.
 *
 * <p>Where a double is split between two literals, it and the doubles after it are copied together
 * into a small buffer, so the run that crosses the split is not cut short. If a snappy page turns out
 * to hold a copy element, {@link #ahead} says 0 and the caller decompresses the page instead, resuming
 * at {@link #offset}.
 */
public final class StreamedDoubles {
    /** Bytes read at a time: small enough to stay in the core's cache, large enough to cost one call. */
    public static final int PIECE = 64 * 1024;
    /** Bytes copied together across a split double. */
    static final int JOINED = 4 * 1024;

    private final ChunkStream in;
    private final boolean snappy;
    private final long start;
    private final long end;
    private final ByteBuffer joined;
    private long literalLeft; // bytes of the current literal still in the file
    private ByteBuffer piece = ByteBuffer.allocate(0); // bytes of the current literal not yet handed out
    private long offset; // in the page's uncompressed bytes, of the next byte to hand out
    private int valuesLeft;

    private StreamedDoubles(ChunkStream in, boolean snappy, long compressedSize, int values, ByteBuffer joined) {
        this.in = in;
        this.snappy = snappy;
        this.start = in.position();
        this.end = start + compressedSize;
        this.valuesLeft = values;
        this.joined = joined;
        joined.clear().limit(0);
        this.literalLeft = snappy ? 0 : compressedSize;
    }

    /**
     * Starts on a page of {@code values} doubles whose bytes come next in {@code in}; null, with
     * {@code in} back at the page's start, if a snappy page does not begin with a long literal (half a
     * piece, or half the page if that is less): compressible data, which would soon need decompressing
     * anyway. {@code joined}: {@link #JOINED} direct bytes to reuse.
     */
    static StreamedDoubles start(ChunkStream in, boolean snappy, int compressedSize, int uncompressedSize,
                                 int values, ByteBuffer joined) throws IOException {
        if (values == 0 || uncompressedSize == 0) {
            return null;
        }
        StreamedDoubles page = new StreamedDoubles(in, snappy, compressedSize, values, joined);
        if (snappy) {
            long length = page.varint(5);
            if (length != uncompressedSize) {
                throw new IOException("page holds " + length + " bytes, its header says " + uncompressedSize);
            }
        }
        if (!page.loadPiece() || snappy && 2 * (page.piece.remaining() + page.literalLeft)
                < Math.min(uncompressedSize, PIECE)) {
            in.seek(page.start);
            return null;
        }
        return page;
    }

    /** The bytes of the current piece, not consumed: for the page's levels. */
    ByteBuffer head() {
        return piece.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Consumes {@code n} bytes of the current piece; false if it holds fewer. */
    boolean skip(int n) {
        if (n > piece.remaining()) {
            return false;
        }
        piece.position(piece.position() + n);
        offset += n;
        return true;
    }

    /**
     * How many whole doubles lie ahead in one place, at least 1 while the page has any; 0 if the page
     * holds something other than literals from here on.
     */
    int ahead() throws IOException {
        if (joined.hasRemaining()) {
            return joined.remaining() / 8;
        }
        if (!piece.hasRemaining() && !loadPiece()) {
            return 0;
        }
        if (piece.remaining() >= 8) {
            return Math.min(piece.remaining() / 8, valuesLeft);
        }
        joined.clear().limit(8 * Math.min(valuesLeft, JOINED / 8));
        while (joined.hasRemaining()) {
            if (!piece.hasRemaining() && !loadPiece()) {
                joined.limit(0);
                return 0;
            }
            int n = Math.min(joined.remaining(), piece.remaining());
            joined.put(piece.slice(piece.position(), n));
            piece.position(piece.position() + n);
        }
        joined.flip();
        return joined.remaining() / 8;
    }

    /** The next {@code n <= ahead()} doubles, little-endian, valid until the next call on the stream. */
    ByteBuffer take(int n) {
        offset += 8L * n;
        valuesLeft -= n;
        ByteBuffer from = joined.hasRemaining() ? joined : piece;
        ByteBuffer run = from.slice(from.position(), 8 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        from.position(from.position() + 8 * n);
        return run;
    }

    /** The page's uncompressed offset of the next double to hand out. */
    long offset() {
        return offset;
    }

    /** File offset of the page's first byte. */
    long start() {
        return start;
    }

    /** Moves the stream to the page's end, where the next page header lies. */
    void finish() throws IOException {
        in.skipBytes(Math.toIntExact(end - in.position()));
    }

    /** Makes the next bytes of a literal the current piece; false at a snappy element that is not one. */
    private boolean loadPiece() throws IOException {
        if (literalLeft == 0) {
            if (!snappy || in.position() >= end) {
                throw new IOException("page holds fewer values than its header says");
            }
            int tag = in.read();
            if ((tag & 3) != 0) {
                return false;
            }
            int length = tag >>> 2;
            literalLeft = (length < 60 ? length : varintBytes(length - 59)) + 1L;
        }
        if (literalLeft > end - in.position()) {
            throw new IOException("snappy literal runs past the page");
        }
        piece = in.takeSome((int) Math.min(PIECE, literalLeft));
        literalLeft -= piece.remaining();
        return true;
    }

    /** A literal's length less one, stored in the next {@code bytes} bytes, little-endian. */
    private long varintBytes(int bytes) throws IOException {
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value |= (long) in.read() << (8 * i);
        }
        return value;
    }

    /** A varint of at most {@code bytes} bytes: how snappy stores the uncompressed length. */
    private long varint(int bytes) throws IOException {
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            int b = in.read();
            value |= (long) (b & 0x7f) << (7 * i);
            if (b < 0x80) {
                return value;
            }
        }
        throw new IOException("snappy length takes more than " + bytes + " bytes");
    }
}
