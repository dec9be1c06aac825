package io.wavg.spark.source.parquet;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * The bytes of one column chunk, read in order through a direct window of 64 KB, or of the chunk's
 * largest page and its header where that is larger. Local files are read with positional reads
 * straight into the window (Hadoop's .crc checksum files are not consulted); other file systems
 * through Hadoop's stream.
 */
public final class ChunkStream extends InputStream {
    static final int INITIAL_WINDOW = 64 * 1024; // grows to the chunk's largest page

    private final Source source;
    private final long end;
    private long filePosition; // file offset of the byte after the window's data
    private ByteBuffer window; // unread bytes between position and limit
    private long bytesRead;

    private ChunkStream(Source source, long start, long length) {
        this.source = source;
        this.filePosition = start;
        this.end = start + length;
        this.window = DirectBuffers.allocate((int) Math.min(INITIAL_WINDOW, Math.max(length, 64)));
        window.limit(0);
    }

    /** Opens {@code [start, start + length)} of the file. */
    public static ChunkStream open(org.apache.hadoop.fs.Path path, Configuration conf, long start, long length)
            throws IOException {
        FileSystem fs = path.getFileSystem(conf);
        Source source;
        if (fs instanceof LocalFileSystem local) {
            source = new ChannelSource(local.pathToFile(path).toPath());
        } else if (fs instanceof RawLocalFileSystem raw) {
            source = new ChannelSource(raw.pathToFile(path).toPath());
        } else {
            source = new StreamSource(HadoopInputFile.fromPath(path, conf).newStream());
        }
        try {
            return new ChunkStream(source, start, length);
        } catch (RuntimeException | Error e) {
            try {
                source.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** Reads {@code [start, start + length)} of an open Parquet stream, which this then owns. */
    public static ChunkStream of(SeekableInputStream stream, long start, long length) {
        return new ChunkStream(new StreamSource(stream), start, length);
    }

    /**
     * The next {@code n} bytes as a little-endian view, valid until the next read from this stream.
     */
    public ByteBuffer take(int n) throws IOException {
        ensure(n);
        ByteBuffer slice = window.slice(window.position(), n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        window.position(window.position() + n);
        return slice;
    }

    /**
     * Up to {@code max} of the next bytes, at least one, as a little-endian view valid until the next
     * read from this stream: what the window holds, or else what a fresh read into the empty window
     * brings, so nothing is moved and the bytes stay in the core's cache for whoever reads them next.
     */
    public ByteBuffer takeSome(int max) throws IOException {
        if (!window.hasRemaining()) {
            if (filePosition >= end) {
                throw new EOFException("column chunk ends within a page");
            }
            window.clear();
            readIntoWindow();
        }
        int n = Math.min(max, window.remaining());
        ByteBuffer slice = window.slice(window.position(), n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        window.position(window.position() + n);
        return slice;
    }

    /** The file offset of the next unread byte. */
    public long position() {
        return filePosition - window.remaining();
    }

    /**
     * Goes back (or on) to a file offset inside the chunk: within the window if it still holds that
     * offset's byte, else by dropping the window.
     */
    public void seek(long offset) {
        if (offset > end) {
            throw new IllegalArgumentException("offset " + offset + " lies past the column chunk");
        }
        long windowStart = filePosition - window.limit();
        if (offset >= windowStart && offset <= filePosition) {
            window.position((int) (offset - windowStart));
            return;
        }
        window.clear().limit(0);
        filePosition = offset;
    }

    public void skipBytes(int n) throws IOException {
        int buffered = Math.min(n, window.remaining());
        window.position(window.position() + buffered);
        if (n > buffered) {
            window.clear().limit(0); // the window no longer holds what lies before filePosition
        }
        filePosition += n - buffered;
        if (filePosition > end) {
            throw new EOFException("column chunk ends " + (filePosition - end) + " bytes early");
        }
    }

    /** Bytes fetched from the file so far. */
    public long bytesRead() {
        return bytesRead;
    }

    public int windowBytes() {
        return window.capacity();
    }

    @Override
    public int read() throws IOException {
        ensure(1);
        return window.get() & 0xff;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!window.hasRemaining() && filePosition >= end) {
            return -1;
        }
        ensure(1);
        int n = Math.min(length, window.remaining());
        window.get(into, offset, n);
        return n;
    }

    /** Makes at least {@code n} bytes readable, moving the unread bytes to the front and reading on. */
    private void ensure(int n) throws IOException {
        if (window.remaining() >= n) {
            return;
        }
        if (n > window.remaining() + (end - filePosition)) {
            throw new EOFException("column chunk ends before a page of " + n + " bytes");
        }
        if (window.capacity() < n) {
            long grown = Math.min(Integer.MAX_VALUE - 8, window.capacity() + (long) window.capacity() / 4);
            ByteBuffer larger = DirectBuffers.allocate((int) Math.max(n, grown));
            larger.put(window);
            DirectBuffers.free(window);
            window = larger;
        } else {
            window.compact();
        }
        readIntoWindow();
    }

    /** Fills the window from its position on with the chunk's next bytes, then flips it for reading. */
    private void readIntoWindow() throws IOException {
        int want = (int) Math.min(window.remaining(), end - filePosition);
        window.limit(window.position() + want);
        source.readFully(window, filePosition);
        filePosition += want;
        bytesRead += want;
        window.flip();
    }

    @Override
    public void close() throws IOException {
        DirectBuffers.free(window);
        window = null;
        source.close();
    }

    /** Positional reads that fill a buffer from its position to its limit. */
    private interface Source extends java.io.Closeable {
        void readFully(ByteBuffer into, long position) throws IOException;
    }

    private static final class ChannelSource implements Source {
        private final FileChannel channel;

        ChannelSource(Path file) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
        }

        @Override
        public void readFully(ByteBuffer into, long position) throws IOException {
            while (into.hasRemaining()) {
                int n = channel.read(into, position);
                if (n < 0) {
                    throw new EOFException("file ends at " + position);
                }
                position += n;
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private static final class StreamSource implements Source {
        private final SeekableInputStream stream;

        StreamSource(SeekableInputStream stream) {
            this.stream = stream;
        }

        @Override
        public void readFully(ByteBuffer into, long position) throws IOException {
            if (stream.getPos() != position) {
                stream.seek(position);
            }
            stream.readFully(into);
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
