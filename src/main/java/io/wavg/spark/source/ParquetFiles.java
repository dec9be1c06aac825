package io.wavg.spark.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.util.SerializableConfiguration;

import io.wavg.spark.source.parquet.SparkTypes;
import io.wavg.spark.source.parquet.UnsupportedParquetException;

/**
 * The files behind a table, their footers and the schema they share, read once on the driver. Files
 * may lack columns others have (read as NULL) but must agree on the type of every column they share.
 */
public final class ParquetFiles {
    /** One Parquet file and its footer. */
    /** A file's footer, its Spark schema and where its bytes are stored (for task placement). */
    public record Footer(String path, ParquetMetadata metadata, StructType schema, BlockLocation[] blocks) {

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

    private final String location;
    private final SerializableConfiguration hadoopConf;
    private Broadcast<SerializableConfiguration> broadcastConf;
    private SparkContext broadcastContext; // a restarted context cannot read the old one's broadcast
    private final List<Footer> footers;
    private final StructType schema;

    private ParquetFiles(String location, SerializableConfiguration hadoopConf, List<Footer> footers,
                         StructType schema) {
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
        return new ParquetFiles(location, new SerializableConfiguration(conf), footers, merge(footers));
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
     * The row group's chunks of the columns of {@code schema} that the file has, for its partition.
     */
    static List<RowGroupPartition.Chunk> chunks(ParquetMetadata footer, BlockMetaData block, StructType schema) {
        MessageType fileSchema = footer.getFileMetaData().getSchema();
        List<RowGroupPartition.Chunk> chunks = new ArrayList<>();
        for (StructField field : schema.fields()) {
            ColumnChunkMetaData chunk = chunk(block, field.name());
            if (chunk != null) {
                ColumnDescriptor column = fileSchema.getColumnDescription(new String[] {field.name()});
                chunks.add(new RowGroupPartition.Chunk(field.name(), column.getPrimitiveType().getPrimitiveTypeName().name(),
                        column.getPrimitiveType().getTypeLength(), column.getMaxDefinitionLevel(),
                        column.getMaxRepetitionLevel(), chunk.getStartingPos(), chunk.getTotalSize(),
                        chunk.getValueCount(), chunk.getCodec().name()));
            }
        }
        return chunks;
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
