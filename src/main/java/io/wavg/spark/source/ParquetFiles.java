package io.wavg.spark.source;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.util.SerializableConfiguration;

import io.wavg.spark.source.parquet.SparkTypes;
import io.wavg.spark.source.parquet.UnsupportedParquetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files behind a table, their footers and the schema they share, read once on the driver. Files
 * may lack columns others have (read as NULL) but must agree on the type of every column they share.
 */
public final class ParquetFiles {
    private static final Logger LOG = LoggerFactory.getLogger(ParquetFiles.class);
    /**
     * A file's footer, the Spark types of its columns, where its bytes are stored (for task placement)
     * and the values of the table's partition columns for it.
     *
     * @param schema          the file's columns under the table's names, with the types the file holds
     * @param columnNames     the table's name of each column in {@code schema} to the file's own name
     * @param partitionValues the values of the partition columns a scan reads, in its order
     */
    public record Footer(String path, ParquetMetadata metadata, StructType schema, BlockLocation[] blocks,
                         Map<String, String> columnNames, InternalRow partitionValues) {

        /** A file read as it is: its own column names, no partition columns. */
        Footer(String path, ParquetMetadata metadata, StructType schema, BlockLocation[] blocks) {
            this(path, metadata, schema, blocks, identityNames(schema), EMPTY_ROW);
        }

        /** The chunk of the table's column in a row group, or null when the file lacks the column. */
        ColumnChunkMetaData chunk(BlockMetaData block, String column) {
            String name = columnNames.get(column);
            return name == null ? null : ParquetFiles.chunk(block, name);
        }

        /**
         * The hosts holding most of {@code [start, start + length)} of the file, the best first: where a
         * task reading that range finds its data locally. Empty when the file system does not say.
         */
        String[] hostsOf(long start, long length) {
            Map<String, Long> bytes = new HashMap<>();
            for (BlockLocation block : blocks) {
                long overlap = Math.min(start + length, block.getOffset() + block.getLength())
                        - Math.max(start, block.getOffset());
                if (overlap <= 0) {
                    continue;
                }
                try {
                    for (String host : block.getHosts()) {
                        bytes.merge(host, overlap, Long::sum);
                    }
                } catch (IOException e) {
                    return new String[0]; // placement is a hint; without it tasks run anywhere
                }
            }
            return mostFirst(bytes);
        }
    }

    /** Up to three hosts, the one with the most (bytes, rows) first: a placement hint for the scheduler. */
    static String[] mostFirst(Map<String, Long> amountByHost) {
        return amountByHost.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(3).map(Map.Entry::getKey).toArray(String[]::new);
    }

    private static final InternalRow EMPTY_ROW = new GenericInternalRow(0);

    private static Map<String, String> identityNames(StructType schema) {
        Map<String, String> names = new HashMap<>();
        for (String name : schema.fieldNames()) {
            names.put(name, name);
        }
        return names;
    }

    private final String name;
    private final String location;
    private final SerializableConfiguration hadoopConf;
    private Broadcast<SerializableConfiguration> broadcastConf;
    private SparkContext broadcastContext; // a restarted context cannot read the old one's broadcast
    private final List<Footer> footers;
    private final StructType schema;

    private ParquetFiles(String name, String location, SerializableConfiguration hadoopConf, List<Footer> footers,
                         StructType schema) {
        this.name = name;
        this.location = location;
        this.hadoopConf = hadoopConf;
        this.footers = footers;
        this.schema = schema;
    }

    public static ParquetFiles of(SparkSession session, CaseInsensitiveStringMap options) {
        String location = options.get("path");
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException(WeightedAvgParquetSource.NAME
                    + " needs a path: spark.read.format(\"" + WeightedAvgParquetSource.NAME + "\").load(path)");
        }
        Configuration conf = session.sessionState().newHadoopConf();
        List<Footer> footers = new ArrayList<>();
        try {
            Path root = new Path(location);
            FileSystem fs = root.getFileSystem(conf);
            List<FileStatus> files = new ArrayList<>();
            collect(fs, fs.getFileStatus(root), files);
            files.sort(Comparator.comparing(f -> f.getPath().toString()));
            for (FileStatus file : files) {
                String path = file.getPath().toString();
                try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(file, conf))) {
                    ParquetMetadata metadata = reader.getFooter();
                    footers.add(new Footer(path, metadata,
                            SparkTypes.schemaOf(metadata.getFileMetaData().getSchema(), path),
                            fs.getFileBlockLocations(file, 0, file.getLen())));
                } catch (IOException | RuntimeException e) {
                    if (e instanceof UnsupportedParquetException) {
                        throw e;
                    }
                    throw new IllegalArgumentException(WeightedAvgParquetSource.NAME + ": " + path
                            + " is not a readable Parquet file: " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(WeightedAvgParquetSource.NAME + ": cannot list " + location, e);
        }
        if (footers.isEmpty()) {
            throw new IllegalArgumentException(WeightedAvgParquetSource.NAME + ": no Parquet files under " + location);
        }
        return new ParquetFiles(WeightedAvgParquetSource.NAME, location, new SerializableConfiguration(conf), footers,
                merge(footers));
    }

    /**
     * Data files at or below a path, skipping Spark's and Hadoop's bookkeeping (_SUCCESS, .crc, …)
     * inside directories. The path itself is read whatever its name: the user named it.
     */
    private static void collect(FileSystem fs, FileStatus status, List<FileStatus> out) throws IOException {
        if (!status.isDirectory()) {
            out.add(status);
            return;
        }
        for (FileStatus child : fs.listStatus(status.getPath())) {
            String name = child.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                collect(fs, child, out);
            }
        }
    }

    private static StructType merge(List<Footer> footers) {
        StructType merged = new StructType();
        for (Footer footer : footers) {
            for (StructField field : footer.schema().fields()) {
                int at = java.util.Arrays.asList(merged.fieldNames()).indexOf(field.name());
                if (at < 0) {
                    merged = merged.add(field.name(), field.dataType(), true);
                } else if (!merged.fields()[at].dataType().equals(field.dataType())) {
                    throw new UnsupportedParquetException(footer.path(), field.name(), "has type "
                            + field.dataType().sql() + " but earlier files have "
                            + merged.fields()[at].dataType().sql());
                }
            }
        }
        return merged;
    }

    /** The chunk of a top-level column in a row group, or null when the file lacks the column. */
    static ColumnChunkMetaData chunk(BlockMetaData block, String column) {
        for (ColumnChunkMetaData chunk : block.getColumns()) {
            if (chunk.getPath().size() == 1 && chunk.getPath().toArray()[0].equals(column)) {
                return chunk;
            }
        }
        return null;
    }

    /**
     * The row group's chunks of the columns of {@code schema}, for its partition: one entry per column,
     * null where the file lacks it.
     */
    static List<RowGroupPartition.Chunk> chunks(Footer footer, BlockMetaData block, StructType schema) {
        MessageType fileSchema = footer.metadata().getFileMetaData().getSchema();
        List<RowGroupPartition.Chunk> chunks = new ArrayList<>();
        for (StructField field : schema.fields()) {
            ColumnChunkMetaData chunk = footer.chunk(block, field.name());
            if (chunk == null) {
                chunks.add(null);
                continue;
            }
            String fileName = footer.columnNames().get(field.name());
            ColumnDescriptor column = fileSchema.getColumnDescription(new String[] {fileName});
            chunks.add(new RowGroupPartition.Chunk(fileName, footer.schema().apply(field.name()).dataType(),
                    column.getPrimitiveType().getPrimitiveTypeName().name(), column.getPrimitiveType().getTypeLength(),
                    column.getMaxDefinitionLevel(), column.getMaxRepetitionLevel(), chunk.getStartingPos(),
                    chunk.getTotalSize(), chunk.getValueCount(), chunk.getCodec().name()));
        }
        return chunks;
    }

    /** A data file that Spark's listing found, with the values of the partition columns a scan reads. */
    record ListedFile(FileStatus status, InternalRow partitionValues) {}

    /**
     * The files Spark listed for a table, with their footers (read in parallel: one round trip each).
     * Columns are looked up under the table's names, ignoring case unless {@code caseSensitive}, and
     * typed as each file holds them; the caller compares those types with the table's.
     *
     * @param readColumns    the data columns a scan reads; no other column of a file is looked at
     * @param ignoreCorrupt  skip a file whose footer cannot be read, as Spark's ignoreCorruptFiles does
     * @param ignoreMissing  skip a file deleted since it was listed, as Spark's ignoreMissingFiles does
     * @throws UnsupportedParquetException naming file and column, for a read column the page reader
     *                                     cannot decode or that matches several of a file's columns
     */
    static ParquetFiles listed(String name, String location, Configuration conf, List<ListedFile> files,
                               StructType dataSchema, StructType readColumns, boolean caseSensitive,
                               boolean ignoreCorrupt, boolean ignoreMissing) {
        int threads = Math.max(1, Math.min(16, files.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, "wavg-footers");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<Footer>> reads = new ArrayList<>();
            for (ListedFile file : files) {
                reads.add(pool.submit(() -> listedFooter(file, conf, readColumns, caseSensitive, ignoreCorrupt,
                        ignoreMissing)));
            }
            List<Footer> footers = new ArrayList<>();
            for (Future<Footer> read : reads) {
                Footer footer = read.get();
                if (footer != null) {
                    footers.add(footer);
                }
            }
            return new ParquetFiles(name, location, new SerializableConfiguration(conf), footers, dataSchema);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading Parquet footers of " + location, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The footer of a listed file; null for a file Spark's options say to skip. */
    private static Footer listedFooter(ListedFile file, Configuration conf, StructType readColumns,
                                       boolean caseSensitive, boolean ignoreCorrupt, boolean ignoreMissing) {
        FileStatus status = file.status();
        String path = status.getPath().toString();
        ParquetMetadata metadata;
        BlockLocation[] blocks;
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(status, conf))) {
            metadata = reader.getFooter();
            blocks = status instanceof LocatedFileStatus located ? located.getBlockLocations()
                    : status.getPath().getFileSystem(conf).getFileBlockLocations(status, 0, status.getLen());
        } catch (FileNotFoundException e) {
            if (ignoreMissing) {
                LOG.warn("Skipped missing file {} (ignoreMissingFiles)", path);
                return null;
            }
            throw new UncheckedIOException("Parquet file " + path + " was listed but no longer exists", e);
        } catch (IOException | RuntimeException e) {
            if (ignoreCorrupt) {
                LOG.warn("Skipped corrupt file {} (ignoreCorruptFiles): {}", path, e.toString());
                return null;
            }
            throw new IllegalArgumentException(path + " is not a readable Parquet file: " + e.getMessage(), e);
        }
        MessageType fileSchema = metadata.getFileMetaData().getSchema();
        StructType schema = new StructType();
        Map<String, String> names = new HashMap<>();
        for (StructField column : readColumns.fields()) {
            List<Type> matches = fileSchema.getFields().stream().filter(f -> caseSensitive
                    ? f.getName().equals(column.name()) : f.getName().equalsIgnoreCase(column.name())).toList();
            if (matches.size() > 1) {
                throw new UnsupportedParquetException(path, column.name(), "matches several columns of the file ("
                        + matches.stream().map(Type::getName).collect(Collectors.joining(", "))
                        + ") when case is ignored");
            }
            if (matches.isEmpty()) {
                continue; // read as NULL, as Spark does for a column a file lacks
            }
            Type field = matches.get(0);
            if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                throw new UnsupportedParquetException(path, field.getName(), "is nested or repeated");
            }
            schema = schema.add(column.name(), SparkTypes.typeOf(field.asPrimitiveType(), path),
                    !field.isRepetition(Type.Repetition.REQUIRED));
            names.put(column.name(), field.getName());
        }
        return new Footer(path, metadata, schema, blocks, names, file.partitionValues());
    }

    /** What scans of these files are called in EXPLAIN: the source's name. */
    public String name() {
        return name;
    }

    public String location() {
        return location;
    }

    public List<Footer> footers() {
        return footers;
    }

    public StructType schema() {
        return schema;
    }

    /**
     * The Hadoop configuration for the readers, broadcast so that executors get it once instead of
     * deserializing (and parsing) it again in every task; made once for all the scans of these files.
     */
    public synchronized Broadcast<SerializableConfiguration> broadcastConf() {
        SparkContext context = SparkSession.active().sparkContext();
        if (broadcastConf == null || broadcastContext != context) {
            broadcastConf = JavaSparkContext.fromSparkContext(context).broadcast(hadoopConf);
            broadcastContext = context;
        }
        return broadcastConf;
    }

    /**
     * An upper bound on |x| over a numeric column chunk, from its statistics; NaN when they do not give
     * one. NULL-only or absent chunks (null) give 0.
     */
    static double magnitudeBound(ColumnChunkMetaData chunk, DataType type) {
        if (type instanceof DecimalType) {
            return Double.NaN; // statistics hold unscaled values
        }
        if (chunk == null) {
            return 0.0;
        }
        Statistics<?> stats = chunk.getStatistics();
        if (stats == null || stats.isEmpty()) {
            return Double.NaN;
        }
        if (!stats.hasNonNullValue()) {
            return stats.isNumNullsSet() && stats.getNumNulls() == chunk.getValueCount() ? 0.0 : Double.NaN;
        }
        if (!(stats.genericGetMin() instanceof Number min) || !(stats.genericGetMax() instanceof Number max)
                || min instanceof java.math.BigDecimal || max instanceof java.math.BigDecimal) {
            return Double.NaN;
        }
        return Math.max(Math.abs(min.doubleValue()), Math.abs(max.doubleValue()));
    }
}
