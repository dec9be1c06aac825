package io.wavg.spark.source;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.Predicate$;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.kernel.Kernels;
import io.wavg.kernel.StateLayout;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.spark.columnar.NumericColumn;
import io.wavg.spark.columnar.VectorAccess;
import io.wavg.spark.grouping.GroupedAggregation;
import io.wavg.spark.source.metrics.AggregationTime;
import io.wavg.spark.source.metrics.RowsRead;
import io.wavg.spark.source.metrics.PeakBufferBytes;
import io.wavg.spark.source.metrics.BytesRead;
import io.wavg.spark.source.metrics.RowsAggregated;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import io.wavg.state.WeightedSum;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Reads a bundle of row groups and answers it with partial states: for each group (one row without
 * GROUP BY), a serialized {@link WeightedSum} per pushed function over the rows that pass the filter.
 * Without GROUP BY, runs of PLAIN doubles go from the decompressed pages to the kernel as they lie;
 * other batches go in one kernel call per function.
 */
final class AggregatingReader implements PartitionReader<InternalRow> {
    private final RowGroupBundle bundle;
    private final PushedAggregation aggregation;
    private final Configuration conf;
    private final WeightedAvgKernel[] kernels;
    private final StructType schema;
    private final BasePredicate filter;
    private Iterator<InternalRow> results;
    private InternalRow current;
    private long rowsRead;
    private long bytesRead;
    private long peakBufferBytes;
    private long rowsAggregated;
    private long aggregationNanos;
    private final NumericColumn[] weightColumns; // per function, how its weights are read without GROUP BY
    private final NumericColumn[] valueColumns;

    AggregatingReader(RowGroupBundle bundle, PushedAggregation aggregation, Configuration conf) {
        this.bundle = bundle;
        this.aggregation = aggregation;
        this.conf = conf;
        this.kernels = aggregation.functions().stream().map(f -> Kernels.get(f.kernel()))
                .toArray(WeightedAvgKernel[]::new);
        this.weightColumns = aggregation.functions().stream().map(f -> new NumericColumn())
                .toArray(NumericColumn[]::new);
        this.valueColumns = aggregation.functions().stream().map(f -> new NumericColumn())
                .toArray(NumericColumn[]::new);
        List<Attribute> columns = aggregation.columns();
        this.schema = DataTypeUtils.fromAttributes(CollectionConverters.asScala(columns).toSeq());
        if (aggregation.filter() != null) {
            filter = Predicate$.MODULE$.create(aggregation.filter(), CollectionConverters.asScala(columns).toSeq());
            filter.initialize(TaskContext.getPartitionId());
        } else {
            filter = null;
        }
    }

    @Override
    public boolean next() {
        if (results == null) {
            results = aggregation.groups().length == 0 ? global() : grouped();
        }
        if (!results.hasNext()) {
            return false;
        }
        current = results.next();
        return true;
    }

    @Override
    public InternalRow get() {
        return current;
    }

    @Override
    public void close() {
        results = null;
    }

    @Override
    public CustomTaskMetric[] currentMetricsValues() {
        return new CustomTaskMetric[] {RowsRead.of(rowsRead), BytesRead.of(bytesRead),
            PeakBufferBytes.of(peakBufferBytes), RowsAggregated.of(rowsAggregated), AggregationTime.of(aggregationNanos)};
    }

    /** Opens a row group of the bundle; {@link #finish} closes it and keeps its figures. */
    private RowGroupBatchReader open(RowGroupPartition rowGroup) {
        return new RowGroupBatchReader(rowGroup, schema, conf);
    }

    private void finish(RowGroupBatchReader reader) {
        rowsRead += reader.rowsRead();
        bytesRead += reader.bytesRead();
        peakBufferBytes = Math.max(peakBufferBytes, reader.peakBufferBytes());
        reader.close();
    }

    private Iterator<InternalRow> global() {
        List<PushedAggregation.Function> functions = aggregation.functions();
        long[][] states = new long[functions.size()][];
        for (int f = 0; f < states.length; f++) {
            states[f] = StateLayout.newState();
        }
        for (RowGroupPartition rowGroup : bundle.rowGroups()) {
            RowGroupBatchReader reader = open(rowGroup);
            try {
                addRowGroup(reader, states);
            } finally {
                finish(reader);
            }
        }
        Object[] row = new Object[states.length];
        for (int f = 0; f < states.length; f++) {
            kernels[f].normalize(states[f]);
            row[f] = WeightedSum.serializeKernelState(states[f]);
        }
        return List.<InternalRow>of(new GenericInternalRow(row)).iterator();
    }

    private void addRowGroup(RowGroupBatchReader reader, long[][] states) {
        List<PushedAggregation.Function> functions = aggregation.functions();
        while (true) {
            ByteBuffer[] runs = filter == null ? reader.nextDoubleRuns() : null;
            if (runs != null) {
                // PLAIN doubles without NULLs go from the decompressed page to the kernel as they lie
                int n = runs[0].remaining() / Double.BYTES;
                rowsAggregated += n;
                long start = System.nanoTime();
                for (int f = 0; f < states.length; f++) {
                    kernels[f].addLittleEndianColumns(states[f], runs[functions.get(f).weight()],
                            runs[functions.get(f).value()], n);
                }
                aggregationNanos += System.nanoTime() - start;
                continue;
            }
            if (!reader.next()) {
                return;
            }
            ColumnarBatch batch = reader.get();
            int n = batch.numRows();
            byte[] excluded = excluded(batch, filter);
            rowsAggregated += passing(excluded, n);
            long start = System.nanoTime();
            for (int f = 0; f < states.length; f++) {
                PushedAggregation.Function function = functions.get(f);
                ColumnVector weights = batch.column(function.weight());
                ColumnVector values = batch.column(function.value());
                byte[] weightSkips = VectorAccess.union(VectorAccess.nulls(weights, n), excluded, n);
                kernels[f].addColumns(states[f], weightColumns[f].read(weights, n), valueColumns[f].read(values, n),
                        weightSkips, VectorAccess.nulls(values, n), n);
            }
            aggregationNanos += System.nanoTime() - start;
        }
    }

    /**
     * Many groups: each pair goes to its group's compact exact sums, whose extraction levels are set
     * from the bundle's statistics ({@link GroupedAggregation}).
     */
    private Iterator<InternalRow> grouped() {
        List<PushedAggregation.Function> functions = aggregation.functions();
        int[] weightColumns = functions.stream().mapToInt(PushedAggregation.Function::weight).toArray();
        int[] valueColumns = functions.stream().mapToInt(PushedAggregation.Function::value).toArray();
        double[] bounds = bundle.magnitudeBounds();
        long rows = bundle.rowGroups().stream().mapToLong(RowGroupPartition::rows).sum();
        GroupedAggregation grouped = new GroupedAggregation(columnTypes(), aggregation.groups(), bundle.keyRange(), rows,
                weightColumns, valueColumns, Arrays.stream(weightColumns).mapToDouble(c -> bounds[c]).toArray(),
                Arrays.stream(valueColumns).mapToDouble(c -> bounds[c]).toArray());
        for (RowGroupPartition rowGroup : bundle.rowGroups()) {
            RowGroupBatchReader reader = open(rowGroup);
            try {
                while (reader.next()) {
                    ColumnarBatch batch = reader.get();
                    byte[] excluded = excluded(batch, filter);
                    rowsAggregated += passing(excluded, batch.numRows());
                    long start = System.nanoTime();
                    grouped.add(batch, excluded);
                    aggregationNanos += System.nanoTime() - start;
                }
            } finally {
                finish(reader);
            }
        }
        return grouped.results();
    }

    private DataType[] columnTypes() {
        return aggregation.columns().stream().map(Attribute::dataType).toArray(DataType[]::new);
    }

    private static int passing(byte[] excluded, int n) {
        if (excluded == null) {
            return n;
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            count += excluded[i] == 0 ? 1 : 0;
        }
        return count;
    }

    /** One byte per row, non-zero where the filter rejects the row; null without a filter. */
    private static byte[] excluded(ColumnarBatch batch, BasePredicate filter) {
        if (filter == null) {
            return null;
        }
        int n = batch.numRows();
        byte[] excluded = new byte[n];
        for (int i = 0; i < n; i++) {
            excluded[i] = (byte) (filter.eval(batch.getRow(i)) ? 0 : 1);
        }
        return excluded;
    }
}
