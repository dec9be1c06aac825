package io.wavg.spark.source.parquet;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;

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
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Streams one column chunk page by page into Spark column vectors. Only the page being decoded is
 * held, compressed and decompressed, so memory does not grow with the chunk or the row group.
 * Handles data pages v1 and v2, PLAIN and dictionary encodings (others through parquet-column's
 * decoders), optional columns, and every codec parquet-hadoop has.
 */
public final class ColumnChunkReader implements Closeable {
    private final SeekableInputStream in;
    private final ColumnDescriptor column;
    private final ColumnChunkMetaData chunk;
    private final BytesInputDecompressor decompressor;
    private final DataType sparkType;
    private final String file;
    private final int maxDefinition;

    private long valuesLeftInChunk;
    private Dictionary dictionary;
    private byte[] compressed = new byte[0];
    private long bytesRead;
    private long peakBufferBytes;

    private int valuesLeftInPage;
    private LevelReader definitions;
    private ValuesReader values;       // for encodings without a bulk route
    private ByteBuffer plainValues;    // PLAIN fixed-width values, read in bulk
    private int[] levels = new int[0];

    public ColumnChunkReader(SeekableInputStream in, ColumnDescriptor column, ColumnChunkMetaData chunk,
                             BytesInputDecompressor decompressor, DataType sparkType, String file) throws IOException {
        this.in = in;
        this.column = column;
        this.chunk = chunk;
        this.decompressor = decompressor;
        this.sparkType = sparkType;
        this.file = file;
        this.maxDefinition = column.getMaxDefinitionLevel();
        this.valuesLeftInChunk = chunk.getValueCount();
        if (column.getMaxRepetitionLevel() > 0) {
            throw failure("is repeated; this source reads flat columns only", null);
        }
        in.seek(chunk.getStartingPos());
    }

    /** Decodes up to {@code rows} values into positions 0.. of {@code out}; returns how many. */
    public int read(WritableColumnVector out, int rows) {
        try {
            int done = 0;
            while (done < rows) {
                if (valuesLeftInPage == 0 && !nextDataPage()) {
                    break;
                }
                int take = Math.min(rows - done, valuesLeftInPage);
                decode(out, done, take);
                done += take;
                valuesLeftInPage -= take;
                valuesLeftInChunk -= take;
            }
            return done;
        } catch (IOException | RuntimeException e) {
            if (e instanceof UnsupportedParquetException u) {
                throw u;
            }
            throw failure("could not be decoded: " + e.getMessage(), e);
        }
    }

    /** Compressed bytes read from the file so far, page headers included. */
    public long bytesRead() {
        return bytesRead;
    }

    /** The largest page buffers held at once, compressed and decompressed. */
    public long peakBufferBytes() {
        return peakBufferBytes;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    // ---- pages ---------------------------------------------------------------------------------------

    private boolean nextDataPage() throws IOException {
        while (valuesLeftInChunk > 0) {
            long start = in.getPos();
            PageHeader header = Util.readPageHeader(in);
            bytesRead += in.getPos() - start + header.getCompressed_page_size();
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
                default -> in.seek(in.getPos() + header.getCompressed_page_size()); // index pages
            }
        }
        return false;
    }

    private byte[] readCompressed(int size) throws IOException {
        if (compressed.length < size) {
            compressed = new byte[size];
        }
        in.readFully(compressed, 0, size);
        return compressed;
    }

    private void readDictionary(PageHeader header) throws IOException {
        // a fresh array: the dictionary outlives the page buffer
        byte[] bytes = new byte[header.getCompressed_page_size()];
        in.readFully(bytes);
        BytesInput page = decompressor.decompress(BytesInput.from(bytes), header.getUncompressed_page_size());
        Encoding encoding = Encoding.valueOf(header.getDictionary_page_header().getEncoding().name());
        dictionary = encoding.initDictionary(column, new DictionaryPage(BytesInput.from(page.toByteArray()),
                header.getDictionary_page_header().getNum_values(), encoding));
    }

    private void startPageV1(PageHeader header) throws IOException {
        DataPageHeader page = header.getData_page_header();
        byte[] bytes = readCompressed(header.getCompressed_page_size());
        BytesInput data = decompressor.decompress(BytesInput.from(bytes, 0, header.getCompressed_page_size()),
                header.getUncompressed_page_size());
        notePeak(header.getCompressed_page_size() + (long) header.getUncompressed_page_size());
        ByteBufferInputStream stream = data.toInputStream();
        valuesLeftInPage = page.getNum_values();
        definitions = null;
        if (maxDefinition > 0) {
            Encoding levelEncoding = Encoding.valueOf(page.getDefinition_level_encoding().name());
            ValuesReader reader = levelEncoding.getValuesReader(column, ValuesType.DEFINITION_LEVEL);
            reader.initFromPage(valuesLeftInPage, stream);
            definitions = reader::readInteger;
        }
        startValues(Encoding.valueOf(page.getEncoding().name()), stream);
    }

    private void startPageV2(PageHeader header) throws IOException {
        DataPageHeaderV2 page = header.getData_page_header_v2();
        int levelBytes = page.getRepetition_levels_byte_length() + page.getDefinition_levels_byte_length();
        byte[] bytes = readCompressed(header.getCompressed_page_size());
        int valueBytes = header.getCompressed_page_size() - levelBytes;
        BytesInput data = BytesInput.from(bytes, levelBytes, valueBytes);
        if (!page.isSetIs_compressed() || page.isIs_compressed()) {
            data = decompressor.decompress(data, header.getUncompressed_page_size() - levelBytes);
        }
        notePeak(header.getCompressed_page_size() + (long) header.getUncompressed_page_size());
        valuesLeftInPage = page.getNum_values();
        definitions = null;
        if (maxDefinition > 0) {
            RunLengthBitPackingHybridDecoder decoder = new RunLengthBitPackingHybridDecoder(
                    BytesUtils.getWidthFromMaxInt(maxDefinition),
                    ByteBufferInputStream.wrap(ByteBuffer.wrap(bytes, page.getRepetition_levels_byte_length(),
                            page.getDefinition_levels_byte_length())));
            definitions = decoder::readInt;
        }
        startValues(Encoding.valueOf(page.getEncoding().name()), data.toInputStream());
    }

    private void startValues(Encoding encoding, ByteBufferInputStream stream) throws IOException {
        plainValues = null;
        values = null;
        PrimitiveTypeName physical = column.getPrimitiveType().getPrimitiveTypeName();
        boolean fixedWidth = physical == PrimitiveTypeName.DOUBLE || physical == PrimitiveTypeName.FLOAT
                || physical == PrimitiveTypeName.INT32 || physical == PrimitiveTypeName.INT64;
        if (encoding == Encoding.PLAIN && fixedWidth && !(sparkType instanceof DecimalType)) {
            plainValues = stream.slice((int) stream.available());
            return;
        }
        if (encoding.usesDictionary()) {
            if (dictionary == null) {
                throw failure("has a dictionary-encoded page but no dictionary page", null);
            }
            values = encoding.getDictionaryBasedValuesReader(column, ValuesType.VALUES, dictionary);
        } else {
            values = encoding.getValuesReader(column, ValuesType.VALUES);
        }
        values.initFromPage(valuesLeftInPage, stream);
    }

    private void notePeak(long bytes) {
        peakBufferBytes = Math.max(peakBufferBytes, Math.max(bytes, compressed.length));
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
        for (int i = 0; i < n; i++) {
            if (levels[i] == maxDefinition) {
                putValues(out, offset + i, 1);
            } else {
                out.putNull(offset + i);
            }
        }
    }

    /** n non-null values at offset: in bulk from PLAIN bytes, else one by one. */
    private void putValues(WritableColumnVector out, int offset, int n) throws IOException {
        if (plainValues != null) {
            int width = column.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.DOUBLE
                    || column.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.INT64 ? 8 : 4;
            byte[] array = plainValues.array();
            int at = plainValues.arrayOffset() + plainValues.position();
            switch (column.getPrimitiveType().getPrimitiveTypeName()) {
                case DOUBLE -> out.putDoublesLittleEndian(offset, n, array, at);
                case FLOAT -> out.putFloatsLittleEndian(offset, n, array, at);
                case INT64 -> out.putLongsLittleEndian(offset, n, array, at);
                default -> putInts(out, offset, n, array, at);
            }
            plainValues.position(plainValues.position() + n * width);
            return;
        }
        for (int i = offset; i < offset + n; i++) {
            putValue(out, i);
        }
    }

    private void putInts(WritableColumnVector out, int offset, int n, byte[] array, int at) {
        if (sparkType == org.apache.spark.sql.types.DataTypes.IntegerType
                || sparkType == org.apache.spark.sql.types.DataTypes.DateType) {
            out.putIntsLittleEndian(offset, n, array, at);
            return;
        }
        ByteBuffer little = ByteBuffer.wrap(array, at, 4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int v = little.getInt();
            if (sparkType == org.apache.spark.sql.types.DataTypes.ByteType) {
                out.putByte(offset + i, (byte) v);
            } else {
                out.putShort(offset + i, (short) v);
            }
        }
    }

    private void putValue(WritableColumnVector out, int row) {
        out.putNotNull(row);
        switch (column.getPrimitiveType().getPrimitiveTypeName()) {
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

    private UnsupportedParquetException failure(String problem, Throwable cause) {
        return new UnsupportedParquetException(file, String.join(".", column.getPath()), problem, cause);
    }

    /** The next definition level of the current page. */
    @FunctionalInterface
    private interface LevelReader {
        int next() throws IOException;
    }
}
