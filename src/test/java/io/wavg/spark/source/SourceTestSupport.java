package io.wavg.spark.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;

import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/** What the wavg_parquet tests share: the session, row comparison by bits, plan inspection, footers. */
final class SourceTestSupport {
    private static SparkSession spark;

    private SourceTestSupport() {}

    /**
     * The test JVM's one shared session. SparkTestSession is package-private in io.wavg.spark, so it
     * is reached reflectively rather than by starting a second, differently configured session.
     */
    static synchronized SparkSession spark() {
        if (spark == null) {
            try {
                Method get = Class.forName("io.wavg.spark.SparkTestSession").getDeclaredMethod("get");
                get.setAccessible(true);
                spark = (SparkSession) get.invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot reach io.wavg.spark.SparkTestSession", e);
            }
        }
        return spark;
    }

    static Dataset<Row> wavg(Path path) {
        return spark().read().format("wavg_parquet").load(path.toString());
    }

    static Dataset<Row> sparkParquet(Path path) {
        return spark().read().parquet(path.toString());
    }

    // ---- comparing rows ------------------------------------------------------------------------------

    /**
     * One value as text that differs whenever the bits differ: Row.equals treats -0.0 and 0.0 as equal
     * and ignores a decimal's scale, which would hide exactly the mistakes a reader can make.
     */
    static String canonical(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Double d) {
            return "D" + Long.toHexString(Double.doubleToRawLongBits(d));
        }
        if (value instanceof Float f) {
            return "F" + Integer.toHexString(Float.floatToRawIntBits(f));
        }
        if (value instanceof BigDecimal d) {
            return "M" + d.unscaledValue() + "e-" + d.scale();
        }
        if (value instanceof byte[] bytes) {
            return "X" + HexFormat.of().formatHex(bytes);
        }
        if (value instanceof java.sql.Date date) {
            return "Date:" + date.toLocalDate();
        }
        if (value instanceof Row struct) {
            return "(" + canonical(struct) + ")";
        }
        if (value instanceof Timestamp ts) {
            return "Timestamp:" + ts.toInstant();
        }
        return value.getClass().getSimpleName() + ":" + value;
    }

    static String canonical(Row row) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < row.length(); i++) {
            out.append(i == 0 ? "" : " | ").append(canonical(row.get(i)));
        }
        return out.toString();
    }

    /** All rows of a frame as canonical text, sorted: readers may return rows in any order. */
    static List<String> sortedRows(Dataset<Row> frame) {
        List<String> rows = new ArrayList<>();
        for (Row row : frame.collectAsList()) {
            rows.add(canonical(row));
        }
        rows.sort(null);
        return rows;
    }

    /** The rows in the order the query gives them (for ORDER BY and single-row aggregates). */
    static List<String> orderedRows(Dataset<Row> frame) {
        List<String> rows = new ArrayList<>();
        for (Row row : frame.collectAsList()) {
            rows.add(canonical(row));
        }
        return rows;
    }

    static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual, String what) {
        List<String> want = sortedRows(expected);
        List<String> got = sortedRows(actual);
        assertEquals(want.size(), got.size(), what + ": row count");
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i), got.get(i), what + ": sorted row " + i);
        }
    }

    // ---- plans ---------------------------------------------------------------------------------------

    /** The wavg_parquet scan in a query's physical plan (planning only; nothing runs). */
    static ParquetScan scanOf(Dataset<Row> frame) {
        BatchScanExec exec = batchScan(frame.queryExecution().executedPlan());
        if (exec == null) {
            throw new AssertionError("no BatchScanExec in\n" + frame.queryExecution().executedPlan());
        }
        return (ParquetScan) exec.scan();
    }

    private static BatchScanExec batchScan(SparkPlan plan) {
        if (plan instanceof BatchScanExec scan) {
            return scan;
        }
        List<SparkPlan> next = new ArrayList<>(CollectionConverters.asJava(plan.children()));
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            next.add(adaptive.executedPlan());
        }
        if (plan instanceof QueryStageExec stage) {
            next.add(stage.plan());
        }
        for (SparkPlan child : next) {
            BatchScanExec found = batchScan(child);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    // ---- files ---------------------------------------------------------------------------------------

    static ParquetMetadata footer(Path file) {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toString()), new Configuration()))) {
            return reader.getFooter();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The pages of every column chunk of the data files under a path, counted by kind
     * ("DATA_PAGE", "DATA_PAGE_V2", "DICTIONARY_PAGE"), by data page encoding ("encoding PLAIN", …)
     * and by codec ("codec SNAPPY", …): proof that a test file holds what the test means to read.
     */
    static java.util.Map<String, Integer> pageCensus(Path dir) {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        Configuration conf = new Configuration();
        for (Path file : dataFiles(dir)) {
            HadoopInputFile input;
            try {
                input = HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toString()), conf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (org.apache.parquet.io.SeekableInputStream in = input.newStream()) {
                for (org.apache.parquet.hadoop.metadata.BlockMetaData block : footer(file).getBlocks()) {
                    for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData chunk : block.getColumns()) {
                        counts.merge("codec " + chunk.getCodec(), 1, Integer::sum);
                        in.seek(chunk.getStartingPos());
                        long values = 0;
                        while (values < chunk.getValueCount()) {
                            org.apache.parquet.format.PageHeader header = org.apache.parquet.format.Util.readPageHeader(in);
                            counts.merge(header.getType().name(), 1, Integer::sum);
                            if (header.isSetData_page_header()) {
                                values += header.getData_page_header().getNum_values();
                                counts.merge("encoding " + header.getData_page_header().getEncoding(), 1, Integer::sum);
                            } else if (header.isSetData_page_header_v2()) {
                                values += header.getData_page_header_v2().getNum_values();
                                counts.merge("encoding " + header.getData_page_header_v2().getEncoding(), 1, Integer::sum);
                            }
                            in.seek(in.getPos() + header.getCompressed_page_size());
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return counts;
    }

    /** A copy of a file with another list of row groups in its footer; the data pages stay as they are. */
    static void rewriteFooter(Path source, Path target, ParquetMetadata footer, List<BlockMetaData> blocks)
            throws IOException {
        byte[] file = Files.readAllBytes(source);
        int footerLength = ByteBuffer.wrap(file, file.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(file, 0, file.length - 8 - footerLength);
        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        Util.writeFileMetaData(new ParquetMetadataConverter().toParquetMetadata(ParquetFileWriter.CURRENT_VERSION,
                new ParquetMetadata(footer.getFileMetaData(), blocks)), meta);
        meta.writeTo(out);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(meta.size()).array());
        out.write(ParquetFileWriter.MAGIC);
        Files.write(target, out.toByteArray());
    }

    /** Data files under a directory, as Spark and the source both see them (no _SUCCESS, no .crc). */
    static List<Path> dataFiles(Path dir) {
        if (Files.isRegularFile(dir)) {
            return List.of(dir);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("_") && !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Row groups with rows in all data files under a path. */
    static int rowGroups(Path dir) {
        int groups = 0;
        for (Path file : dataFiles(dir)) {
            groups += (int) footer(file).getBlocks().stream().filter(b -> b.getRowCount() > 0).count();
        }
        return groups;
    }

    /**
     * Writes rows with parquet-mr's example writer (no Spark involved), after {@code options} has set
     * codec, page and row group sizes, encodings and writer version on the builder.
     */
    static void writeGroups(Path file, org.apache.parquet.schema.MessageType schema,
                            List<org.apache.parquet.example.data.Group> rows,
                            java.util.function.Consumer<org.apache.parquet.hadoop.example.ExampleParquetWriter.Builder> options) {
        org.apache.parquet.hadoop.example.ExampleParquetWriter.Builder builder =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toString()))
                        .withConf(new Configuration())
                        .withType(schema);
        options.accept(builder);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> writer = builder.build()) {
            for (org.apache.parquet.example.data.Group row : rows) {
                writer.write(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- session configuration -----------------------------------------------------------------------

    /** Sets session configuration until closed, putting previous values back. */
    static AutoCloseableConf withConf(String key, String value) {
        SparkSession session = spark();
        Option<String> previous = session.conf().getOption(key);
        session.conf().set(key, value);
        return () -> {
            if (previous.isDefined()) {
                session.conf().set(key, previous.get());
            } else {
                session.conf().unset(key);
            }
        };
    }

    @FunctionalInterface
    interface AutoCloseableConf extends AutoCloseable {
        @Override
        void close();
    }

    /** The messages of an exception and its causes: Spark wraps task failures more than once. */
    static String messages(Throwable error) {
        StringBuilder out = new StringBuilder();
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            out.append(e.getClass().getName()).append(": ").append(e.getMessage()).append('\n');
        }
        return out.toString();
    }

    /** The first exception of a type in a cause chain, or null. */
    static <T extends Throwable> T causeOf(Throwable error, Class<T> type) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
        }
        return null;
    }
}
