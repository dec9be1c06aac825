package io.wavg.spark.source.parquet;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputDecompressor;
import org.apache.parquet.format.DataPageHeader;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.spark.sql.execution.datasources.parquet.ParquetDictionary;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Streams one column chunk page by page into Spark column vectors, or hands out runs of PLAIN doubles
 * where they lie in the decompressed page. Only the page being decoded is held, compressed and
 * decompressed, in direct buffers freed on close, so memory does not grow with the chunk or the row
 * group; pages of PLAIN doubles without NULLs, uncompressed or snappy literals, are not even held
 * whole ({@link StreamedDoubles}). Handles data pages v1 and v2, PLAIN and dictionary encodings (others
 * through parquet-column's decoders), optional columns, and every codec parquet-hadoop has.
 */
public final class ColumnChunkReader implements Closeable {
    private final ChunkStream in;
    private final ColumnDescriptor column;
    private final PrimitiveTypeName physical;
    private final PageDecompressor decompressor;
    private final CompressionCodecName codec;
    private final ByteBuffer joined = DirectBuffers.allocate(StreamedDoubles.JOINED).limit(0); // across a split
    private final DataType sparkType;
    private final String file;
    private final int maxDefinition;

    private long valuesLeftInChunk;
    private Dictionary dictionary;
    private long peakBufferBytes;

    private int valuesLeftInPage;
    private LevelReader definitions; // null when the page has no NULL
    private ValuesReader values;       // for encodings without a bulk route
    private HybridInts dictionaryIds;  // a dictionary page's ids, read in bulk for fixed-width values
    private Object decodedDictionary;  // the dictionary's values as a primitive array, made at first use
    private ParquetDictionary vectorDictionary; // the dictionary as Spark's vectors take it, for byte arrays
    private int[] ids = new int[0];
    private ByteBuffer plainValues;    // PLAIN fixed-width values, little-endian, read in bulk
    private StreamedDoubles streamed;  // PLAIN doubles read where they lie in the file's bytes
    private int streamedSize;          // the streamed page's compressed and uncompressed sizes
    private int streamedUncompressedSize;
    private int[] levels = new int[0];
    private Object scratch;            // typed copy of a run of PLAIN values on their way to a vector

    /**
     * @param values   the chunk's values, NULLs included
     * @param fallback decompresses pages of the codecs that {@link PageDecompressor} does not itself
     */
    public ColumnChunkReader(ChunkStream in, ColumnDescriptor column, CompressionCodecName codec, long values,
                             Supplier<BytesInputDecompressor> fallback, DataType sparkType, String file) {
        this.in = in;
        this.column = column;
        this.physical = column.getPrimitiveType().getPrimitiveTypeName();
        this.decompressor = new PageDecompressor(codec, fallback);
        this.codec = codec;
        this.sparkType = sparkType;
        this.file = file;
        this.maxDefinition = column.getMaxDefinitionLevel();
        this.valuesLeftInChunk = values;
        if (column.getMaxRepetitionLevel() > 0) {
            throw failure("is repeated; this source reads flat columns only", null);
        }
    }

    /** Decodes up to {@code rows} values into positions 0.. of {@code out}; returns how many. */
    public int read(WritableColumnVector out, int rows) {
        try {
            out.setDictionary(null); // set again if the batch starts on a dictionary page of byte arrays
            int done = 0;
            while (done < rows) {
                if (valuesLeftInPage == 0 && !nextDataPage()) {
                    break;
                }
                int take = Math.min(rows - done, valuesLeftInPage);
                decode(out, done, take);
                done += take;
                consumed(take);
            }
            return done;
        } catch (IOException | RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * How many of the next values are non-NULL PLAIN doubles lying one after another in the current
     * page: 0 when the next value is not one of those (then {@link #read} takes it), or the chunk is done.
     */
    public int plainDoublesAhead() {
        try {
            if (valuesLeftInPage == 0 && !nextDataPage()) {
                return 0;
            }
        } catch (IOException | RuntimeException e) {
            throw failure(e);
        }
        if (physical != PrimitiveTypeName.DOUBLE || definitions != null) {
            return 0;
        }
        if (streamed != null) {
            int ahead = streamedAhead();
            if (streamed != null) {
                return ahead;
            }
        }
        return plainValues != null ? valuesLeftInPage : 0;
    }

    /**
     * The next {@code n} values as little-endian doubles, {@code n <= plainDoublesAhead()}; the view is
     * valid until the next call on this reader.
     */
    public ByteBuffer takePlainDoubles(int n) {
        int ahead = plainDoublesAhead();
        if (n < 0 || n > ahead) {
            throw new IllegalArgumentException(n + " doubles asked, " + ahead + " lie ahead");
        }
        if (n == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            ByteBuffer run = streamed != null ? streamed.take(n)
                    : plainValues.slice(plainValues.position(), 8 * n).order(ByteOrder.LITTLE_ENDIAN);
            if (streamed == null) {
                plainValues.position(plainValues.position() + 8 * n);
            }
            consumed(n);
            return run;
        } catch (IndexOutOfBoundsException e) {
            throw failure("has a page with fewer values than its header says", e);
        }
    }

    private void consumed(int n) {
        valuesLeftInPage -= n;
        valuesLeftInChunk -= n;
    }

    /** Compressed bytes read from the file so far, page headers included. */
    public long bytesRead() {
        return in.bytesRead();
    }

    /** The largest page buffers held at once, compressed and decompressed. */
    public long peakBufferBytes() {
        return peakBufferBytes;
    }

    @Override
    public void close() throws IOException {
        DirectBuffers.free(joined);
        decompressor.close();
        in.close();
    }

    // ---- pages ---------------------------------------------------------------------------------------

    private boolean nextDataPage() throws IOException {
        if (streamed != null) {
            streamed.finish();
            streamed = null;
        }
        while (valuesLeftInChunk > 0) {
            PageHeader header = Util.readPageHeader(in);
            switch (header.getType()) {
                case DICTIONARY_PAGE -> readDictionary(header);
                case DATA_PAGE -> {
                    startPageV1(header);
                    return true;
                }
                case DATA_PAGE_V2 -> {
                    startPageV2(header);
                    return true;
                }
                default -> in.skipBytes(header.getCompressed_page_size()); // index pages
            }
        }
        return false;
    }

    private void readDictionary(PageHeader header) throws IOException {
        ByteBuffer page = decompressor.decompress(in.take(header.getCompressed_page_size()),
                header.getUncompressed_page_size());
        // a copy on the heap: the dictionary outlives the page buffer
        byte[] bytes = new byte[page.remaining()];
        page.get(bytes);
        Encoding encoding = Encoding.valueOf(header.getDictionary_page_header().getEncoding().name());
        dictionary = encoding.initDictionary(column, new DictionaryPage(BytesInput.from(bytes),
                header.getDictionary_page_header().getNum_values(), encoding));
        decodedDictionary = null;
        vectorDictionary = null;
    }

    private void startPageV1(PageHeader header) throws IOException {
        DataPageHeader page = header.getData_page_header();
        valuesLeftInPage = page.getNum_values();
        definitions = null;
        Encoding encoding = Encoding.valueOf(page.getEncoding().name());
        Encoding levelEncoding = Encoding.valueOf(page.getDefinition_level_encoding().name());
        if ((maxDefinition == 0 || levelEncoding == Encoding.RLE)
                && startStreamed(encoding, header.getCompressed_page_size(), header.getUncompressed_page_size(), true)) {
            return;
        }
        ByteBuffer data = decompressor.decompress(in.take(header.getCompressed_page_size()),
                header.getUncompressed_page_size());
        notePeak();
        ByteBufferInputStream stream = ByteBufferInputStream.wrap(data);
        if (maxDefinition > 0) {
            int levelBytes = levelEncoding == Encoding.RLE ? allPresentLevelBytes(data, valuesLeftInPage) : -1;
            if (levelBytes >= 0) {
                stream.skipFully(levelBytes);
            } else {
                ValuesReader reader = levelEncoding.getValuesReader(column, ValuesType.DEFINITION_LEVEL);
                reader.initFromPage(valuesLeftInPage, stream);
                definitions = reader::readInteger;
            }
        }
        startValues(encoding, stream);
    }

    /**
     * Starts streaming the page's values where that is possible: PLAIN doubles, uncompressed or snappy,
     * a v1 page's RLE definition levels (levelsInside) saying no value is NULL. Otherwise leaves the
     * stream where it was.
     */
    private boolean startStreamed(Encoding encoding, int compressedSize, int uncompressedSize, boolean levelsInside)
            throws IOException {
        plainValues = null;
        values = null;
        dictionaryIds = null;
        streamed = null;
        if (encoding != Encoding.PLAIN || physical != PrimitiveTypeName.DOUBLE
                || codec != CompressionCodecName.SNAPPY && codec != CompressionCodecName.UNCOMPRESSED) {
            return false;
        }
        StreamedDoubles page = StreamedDoubles.start(in, codec == CompressionCodecName.SNAPPY, compressedSize,
                uncompressedSize, valuesLeftInPage, joined);
        if (page == null) {
            return false;
        }
        int levelBytes = levelsInside && maxDefinition > 0 ? allPresentLevelBytes(page.head(), valuesLeftInPage) : 0;
        if (levelBytes < 0 || !page.skip(levelBytes)) {
            in.seek(page.start());
            return false;
        }
        streamed = page;
        streamedSize = compressedSize;
        streamedUncompressedSize = uncompressedSize;
        notePeak();
        return true;
    }

    /** Whole doubles ahead of the streamed page; if it holds more than literals, decompresses it instead. */
    private int streamedAhead() {
        try {
            int ahead = streamed.ahead();
            if (ahead > 0) {
                return ahead;
            }
            long offset = streamed.offset();
            in.seek(streamed.start());
            streamed = null;
            ByteBuffer data = decompressor.decompress(in.take(streamedSize), streamedUncompressedSize);
            notePeak();
            plainValues = data.slice((int) offset, data.limit() - (int) offset).order(ByteOrder.LITTLE_ENDIAN);
            return 0;
        } catch (IOException | RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * The length of a v1 page's RLE definition levels (with their 4-byte length) when they are a single
     * run saying every value is present, which is how writers store a column without NULLs; else -1.
     */
    private int allPresentLevelBytes(ByteBuffer data, int count) {
        if (data.remaining() < 5) {
            return -1;
        }
        int length = data.getInt(data.position());
        int at = data.position() + 4;
        long header = 0;
        for (int shift = 0; at < data.limit() && shift < 35; shift += 7) {
            byte b = data.get(at++);
            header |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                int valueBytes = (BytesUtils.getWidthFromMaxInt(maxDefinition) + 7) / 8;
                if ((header & 1) != 0 || header >>> 1 < count || at + valueBytes > data.limit()) {
                    return -1;
                }
                int value = 0;
                for (int i = 0; i < valueBytes; i++) {
                    value |= (data.get(at + i) & 0xff) << (8 * i);
                }
                return value == maxDefinition && length >= 0 && length <= data.remaining() - 4 ? 4 + length : -1;
            }
        }
        return -1;
    }

    private void startPageV2(PageHeader header) throws IOException {
        DataPageHeaderV2 page = header.getData_page_header_v2();
        int repetitionBytes = page.getRepetition_levels_byte_length();
        int levelBytes = repetitionBytes + page.getDefinition_levels_byte_length();
        // levels are never compressed; keep them on the heap since the values may reuse the buffer
        ByteBuffer levels = in.take(levelBytes);
        byte[] definitionLevels = new byte[page.getDefinition_levels_byte_length()];
        levels.get(repetitionBytes, definitionLevels);
        valuesLeftInPage = page.getNum_values();
        definitions = null;
        if (maxDefinition > 0 && page.getNum_nulls() != 0) {
            RunLengthBitPackingHybridDecoder decoder = new RunLengthBitPackingHybridDecoder(
                    BytesUtils.getWidthFromMaxInt(maxDefinition),
                    ByteBufferInputStream.wrap(ByteBuffer.wrap(definitionLevels)));
            definitions = decoder::readInt;
        }
        Encoding encoding = Encoding.valueOf(page.getEncoding().name());
        boolean compressed = !page.isSetIs_compressed() || page.isIs_compressed();
        int dataSize = header.getCompressed_page_size() - levelBytes;
        int uncompressedSize = header.getUncompressed_page_size() - levelBytes;
        if (definitions == null && (compressed || codec == CompressionCodecName.UNCOMPRESSED)
                && startStreamed(encoding, dataSize, uncompressedSize, false)) {
            return;
        }
        ByteBuffer data = in.take(dataSize);
        if (compressed) {
            data = decompressor.decompress(data, uncompressedSize);
        }
        notePeak();
        startValues(encoding, ByteBufferInputStream.wrap(data));
    }

    private void startValues(Encoding encoding, ByteBufferInputStream stream) throws IOException {
        plainValues = null;
        values = null;
        dictionaryIds = null;
        boolean fixedWidth = physical == PrimitiveTypeName.DOUBLE || physical == PrimitiveTypeName.FLOAT
                || physical == PrimitiveTypeName.INT32 || physical == PrimitiveTypeName.INT64;
        if (encoding == Encoding.PLAIN && fixedWidth && !(sparkType instanceof DecimalType)) {
            plainValues = stream.slice((int) stream.available()).order(ByteOrder.LITTLE_ENDIAN);
            return;
        }
        if (encoding.usesDictionary()) {
            if (dictionary == null) {
                throw failure("has a dictionary-encoded page but no dictionary page", null);
            }
            if (!(sparkType instanceof DecimalType) && (fixedWidth || physical == PrimitiveTypeName.BINARY
                    || physical == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY)) {
                ByteBuffer page = stream.slice((int) stream.available());
                dictionaryIds = new HybridInts(page, page.get() & 0xff); // the ids' bit width comes first
                return;
            }
            values = encoding.getDictionaryBasedValuesReader(column, ValuesType.VALUES, dictionary);
        } else {
            values = encoding.getValuesReader(column, ValuesType.VALUES);
        }
        values.initFromPage(valuesLeftInPage, stream);
    }

    private void notePeak() {
        peakBufferBytes = Math.max(peakBufferBytes, (long) in.windowBytes() + decompressor.bufferBytes());
    }

    // ---- values --------------------------------------------------------------------------------------

    private void decode(WritableColumnVector out, int offset, int n) throws IOException {
        if (definitions == null) {
            putValues(out, offset, n);
            return;
        }
        if (levels.length < n) {
            levels = new int[n];
        }
        int present = 0;
        for (int i = 0; i < n; i++) {
            levels[i] = definitions.next();
            if (levels[i] == maxDefinition) {
                present++;
            }
        }
        if (present == n) {
            putValues(out, offset, n);
            return;
        }
        for (int i = 0; i < n; ) {
            if (levels[i] != maxDefinition) {
                out.putNull(offset + i++);
                continue;
            }
            int run = i;
            while (run < n && levels[run] == maxDefinition) {
                run++;
            }
            putValues(out, offset + i, run - i);
            i = run;
        }
    }

    /** n non-null values at offset: in bulk from PLAIN bytes, else one by one. */
    private void putValues(WritableColumnVector out, int offset, int n) throws IOException {
        while (streamed != null && n > 0) {
            int run = Math.min(n, streamedAhead());
            if (run > 0) {
                putDoubles(out, offset, streamed.take(run), run);
                offset += run;
                n -= run;
            }
        }
        if (n == 0) {
            return;
        }
        if (dictionaryIds != null) {
            putDictionaryValues(out, offset, n);
            return;
        }
        if (out.hasDictionary()) {
            decodeDictionaryIds(out, offset);
        }
        if (plainValues == null) {
            for (int i = offset; i < offset + n; i++) {
                putValue(out, i);
            }
            return;
        }
        switch (physical) {
            case DOUBLE -> {
                putDoubles(out, offset, plainValues, n);
                plainValues.position(plainValues.position() + 8 * n);
            }
            case INT64 -> {
                long[] copy = scratch instanceof long[] l && l.length >= n ? l : new long[n];
                plainValues.asLongBuffer().get(copy, 0, n);
                out.putLongs(offset, n, copy, 0);
                scratch = copy;
                plainValues.position(plainValues.position() + 8 * n);
            }
            case FLOAT -> {
                float[] copy = scratch instanceof float[] f && f.length >= n ? f : new float[n];
                plainValues.asFloatBuffer().get(copy, 0, n);
                out.putFloats(offset, n, copy, 0);
                scratch = copy;
                plainValues.position(plainValues.position() + 4 * n);
            }
            default -> {
                int[] copy = scratch instanceof int[] i && i.length >= n ? i : new int[n];
                plainValues.asIntBuffer().get(copy, 0, n);
                putInts(out, offset, n, copy);
                scratch = copy;
                plainValues.position(plainValues.position() + 4 * n);
            }
        }
    }

    /** n non-null values at offset from the page's dictionary ids, looked up in the decoded dictionary. */
    private void putDictionaryValues(WritableColumnVector out, int offset, int n) {
        int[] at = ids.length >= n ? ids : (ids = new int[n]);
        dictionaryIds.read(at, n);
        switch (physical) {
            case DOUBLE -> {
                double[] dictionary = (double[]) decodedDictionary();
                double[] copy = scratch instanceof double[] d && d.length >= n ? d : new double[n];
                for (int i = 0; i < n; i++) {
                    copy[i] = dictionary[at[i]];
                }
                out.putDoubles(offset, n, copy, 0);
                scratch = copy;
            }
            case INT64 -> {
                long[] dictionary = (long[]) decodedDictionary();
                long[] copy = scratch instanceof long[] l && l.length >= n ? l : new long[n];
                for (int i = 0; i < n; i++) {
                    copy[i] = dictionary[at[i]];
                }
                out.putLongs(offset, n, copy, 0);
                scratch = copy;
            }
            case BINARY, FIXED_LEN_BYTE_ARRAY -> putDictionaryBytes(out, offset, n, at);
            case FLOAT -> {
                float[] dictionary = (float[]) decodedDictionary();
                float[] copy = scratch instanceof float[] f && f.length >= n ? f : new float[n];
                for (int i = 0; i < n; i++) {
                    copy[i] = dictionary[at[i]];
                }
                out.putFloats(offset, n, copy, 0);
                scratch = copy;
            }
            default -> {
                int[] dictionary = (int[]) decodedDictionary();
                int[] copy = scratch instanceof int[] c && c.length >= n ? c : new int[n];
                for (int i = 0; i < n; i++) {
                    copy[i] = dictionary[at[i]];
                }
                putInts(out, offset, n, copy);
                scratch = copy;
            }
        }
    }

    /**
     * Byte arrays stay dictionary ids in the vector, as in Spark's own reader, so a GROUP BY on them
     * meets each distinct value once per row group; a batch that began with PLAIN values decodes them.
     */
    private void putDictionaryBytes(WritableColumnVector out, int offset, int n, int[] at) {
        if (offset == 0 || out.hasDictionary()) {
            if (vectorDictionary == null) {
                vectorDictionary = new ParquetDictionary(dictionary, false);
            }
            out.setDictionary(vectorDictionary);
            out.reserveDictionaryIds(offset + n).putInts(offset, n, at, 0);
            return;
        }
        for (int i = 0; i < n; i++) {
            out.putByteArray(offset + i, dictionary.decodeToBinary(at[i]).getBytesUnsafe());
        }
    }

    /** Rows 0..end-1 of a vector holding dictionary ids, decoded in place before PLAIN values follow them. */
    private void decodeDictionaryIds(WritableColumnVector out, int end) {
        WritableColumnVector ids = out.getDictionaryIds();
        out.setDictionary(null);
        for (int row = 0; row < end; row++) {
            if (!out.isNullAt(row)) {
                out.putByteArray(row, dictionary.decodeToBinary(ids.getInt(row)).getBytesUnsafe());
            }
        }
    }

    /** The current dictionary as an array of the column's physical type, indexed by id. */
    private Object decodedDictionary() {
        if (decodedDictionary == null) {
            int size = dictionary.getMaxId() + 1;
            switch (physical) {
                case DOUBLE -> {
                    double[] values = new double[size];
                    for (int id = 0; id < size; id++) {
                        values[id] = dictionary.decodeToDouble(id);
                    }
                    decodedDictionary = values;
                }
                case INT64 -> {
                    long[] values = new long[size];
                    for (int id = 0; id < size; id++) {
                        values[id] = dictionary.decodeToLong(id);
                    }
                    decodedDictionary = values;
                }
                case FLOAT -> {
                    float[] values = new float[size];
                    for (int id = 0; id < size; id++) {
                        values[id] = dictionary.decodeToFloat(id);
                    }
                    decodedDictionary = values;
                }
                default -> {
                    int[] values = new int[size];
                    for (int id = 0; id < size; id++) {
                        values[id] = dictionary.decodeToInt(id);
                    }
                    decodedDictionary = values;
                }
            }
        }
        return decodedDictionary;
    }

    /** n little-endian doubles from the source's position on (which stays) into the vector at offset. */
    private void putDoubles(WritableColumnVector out, int offset, ByteBuffer source, int n) {
        double[] copy = scratch instanceof double[] d && d.length >= n ? d : new double[n];
        source.asDoubleBuffer().get(copy, 0, n);
        out.putDoubles(offset, n, copy, 0);
        scratch = copy;
    }

    private void putInts(WritableColumnVector out, int offset, int n, int[] ints) {
        if (sparkType == org.apache.spark.sql.types.DataTypes.IntegerType
                || sparkType == org.apache.spark.sql.types.DataTypes.DateType) {
            out.putInts(offset, n, ints, 0);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (sparkType == org.apache.spark.sql.types.DataTypes.ByteType) {
                out.putByte(offset + i, (byte) ints[i]);
            } else {
                out.putShort(offset + i, (short) ints[i]);
            }
        }
    }

    private void putValue(WritableColumnVector out, int row) {
        out.putNotNull(row);
        switch (physical) {
            case DOUBLE -> out.putDouble(row, values.readDouble());
            case FLOAT -> out.putFloat(row, values.readFloat());
            case BOOLEAN -> out.putBoolean(row, values.readBoolean());
            case INT32 -> {
                int v = values.readInteger();
                if (sparkType instanceof DecimalType decimal) {
                    out.putDecimal(row, Decimal.createUnsafe(v, decimal.precision(), decimal.scale()),
                            decimal.precision());
                } else if (sparkType == org.apache.spark.sql.types.DataTypes.ByteType) {
                    out.putByte(row, (byte) v);
                } else if (sparkType == org.apache.spark.sql.types.DataTypes.ShortType) {
                    out.putShort(row, (short) v);
                } else {
                    out.putInt(row, v);
                }
            }
            case INT64 -> {
                long v = values.readLong();
                if (sparkType instanceof DecimalType decimal) {
                    out.putDecimal(row, Decimal.createUnsafe(v, decimal.precision(), decimal.scale()),
                            decimal.precision());
                } else {
                    out.putLong(row, v);
                }
            }
            case BINARY, FIXED_LEN_BYTE_ARRAY -> {
                byte[] bytes = values.readBytes().getBytes();
                if (sparkType instanceof DecimalType decimal) {
                    Decimal value = Decimal.apply(new java.math.BigDecimal(new BigInteger(bytes), decimal.scale()),
                            decimal.precision(), decimal.scale());
                    out.putDecimal(row, value, decimal.precision());
                } else if (sparkType == org.apache.spark.sql.types.DataTypes.StringType) {
                    UTF8String text = UTF8String.fromBytes(bytes);
                    out.putByteArray(row, text.getBytes());
                } else {
                    out.putByteArray(row, bytes);
                }
            }
            default -> throw failure("has Parquet type " + column.getPrimitiveType()
                    + ", which this source does not read", null);
        }
    }

    private UnsupportedParquetException failure(Exception e) {
        return e instanceof UnsupportedParquetException u ? u : failure("could not be decoded: " + e.getMessage(), e);
    }

    private UnsupportedParquetException failure(String problem, Throwable cause) {
        return new UnsupportedParquetException(file, String.join(".", column.getPath()), problem, cause);
    }

    /** The next definition level of the current page. */
    @FunctionalInterface
    private interface LevelReader {
        int next() throws IOException;
    }
}
