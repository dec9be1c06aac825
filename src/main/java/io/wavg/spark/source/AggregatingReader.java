package io.wavg.spark.source;

import java.nio.ByteBuffer;
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
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.kernel.Kernels;
import io.wavg.kernel.StateLayout;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.spark.columnar.VectorAccess;
import io.wavg.spark.source.metrics.AggregationTime;
import io.wavg.spark.source.metrics.RowsRead;
import io.wavg.spark.source.metrics.PeakBufferBytes;
import io.wavg.spark.source.metrics.BytesRead;
import io.wavg.spark.source.metrics.RowsAggregated;
import io.wavg.state.GroupedSums;
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
    private int[] groupIds = new int[0]; // of a batch's rows, -1 for rows the filter rejects

    AggregatingReader(RowGroupBundle bundle, PushedAggregation aggregation, Configuration conf) {
        this.bundle = bundle;
        this.aggregation = aggregation;
        this.conf = conf;
        this.kernels = aggregation.functions().stream().map(f -> Kernels.get(f.kernel()))
                .toArray(WeightedAvgKernel[]::new);
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
                byte[] weightSkips = union(VectorAccess.nulls(weights, n), excluded, n);
                kernels[f].addColumns(states[f], doubles(weights, n), doubles(values, n), weightSkips,
                        VectorAccess.nulls(values, n), n);
            }
            aggregationNanos += System.nanoTime() - start;
        }
    }

    /**
     * Many groups: each pair goes to its group's compact exact sums (GroupedSums), whose extraction
     * levels are set from the bundle's statistics. The groups' states are serialized one at a time as
     * Spark takes the rows, so they are never all held twice.
     */
    private Iterator<InternalRow> grouped() {
        List<Attribute> columns = aggregation.columns();
        int[] keyColumns = aggregation.groups();
        DataType[] keyTypes = new DataType[keyColumns.length];
        for (int k = 0; k < keyColumns.length; k++) {
            keyTypes[k] = columns.get(keyColumns[k]).dataType();
        }
        long rows = bundle.rowGroups().stream().mapToLong(RowGroupPartition::rows).sum();
        GroupIndex index = GroupIndex.of(keyColumns, keyTypes, bundle.keyRange(), rows);
        List<PushedAggregation.Function> functions = aggregation.functions();
        GroupedSums[] sums = new GroupedSums[functions.size()];
        double[] bounds = bundle.magnitudeBounds();
        for (int f = 0; f < sums.length; f++) {
            sums[f] = new GroupedSums(bounds[functions.get(f).weight()], bounds[functions.get(f).value()]);
        }
        for (RowGroupPartition rowGroup : bundle.rowGroups()) {
            RowGroupBatchReader reader = open(rowGroup);
            try {
                while (reader.next()) {
                    addGrouped(reader.get(), index, sums);
                }
            } finally {
                finish(reader);
            }
        }
        return new Iterator<>() {
            private int group;

            @Override
            public boolean hasNext() {
                return group < index.size();
            }

            @Override
            public InternalRow next() {
                Object[] key = index.key(group);
                Object[] row = java.util.Arrays.copyOf(key, key.length + sums.length);
                for (int f = 0; f < sums.length; f++) {
                    sums[f].ensureGroups(group + 1);
                    row[key.length + f] = sums[f].take(group).serialize();
                }
                group++;
                return new GenericInternalRow(row);
            }
        };
    }

    private void addGrouped(ColumnarBatch batch, GroupIndex index, GroupedSums[] sums) {
        List<PushedAggregation.Function> functions = aggregation.functions();
        int n = batch.numRows();
        byte[] excluded = excluded(batch, filter);
        double[][] weights = new double[sums.length][];
        double[][] values = new double[sums.length][];
        byte[][] skips = new byte[sums.length][];
        for (int f = 0; f < sums.length; f++) {
            ColumnVector w = batch.column(functions.get(f).weight());
            ColumnVector v = batch.column(functions.get(f).value());
            weights[f] = doubles(w, n);
            values[f] = doubles(v, n);
            skips[f] = union(VectorAccess.nulls(w, n), VectorAccess.nulls(v, n), n);
        }
        rowsAggregated += passing(excluded, n);
        long start = System.nanoTime();
        int[] groups = groupIds.length >= n ? groupIds : (groupIds = new int[n]);
        index.groupsOf(batch, n, excluded, groups);
        for (int f = 0; f < sums.length; f++) {
            GroupedSums sum = sums[f];
            double[] w = weights[f];
            double[] v = values[f];
            byte[] skip = skips[f];
            sum.ensureGroups(index.size());
            for (int i = 0; i < n; i++) {
                if (groups[i] >= 0 && (skip == null || skip[i] == 0)) {
                    sum.add(groups[i], w[i], v[i]);
                }
            }
        }
        aggregationNanos += System.nanoTime() - start;
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

    private static byte[] union(byte[] a, byte[] b, int n) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        byte[] both = new byte[n];
        for (int i = 0; i < n; i++) {
            both[i] = (byte) (a[i] | b[i]);
        }
        return both;
    }

    /** A numeric column as doubles, each correctly rounded; values under NULLs are unspecified. */
    private static double[] doubles(ColumnVector vector, int n) {
        DataType type = vector.dataType();
        if (type == DataTypes.DoubleType) {
            return VectorAccess.doubles(vector, n);
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            if (vector.isNullAt(i)) {
                continue;
            }
            if (type == DataTypes.FloatType) {
                out[i] = vector.getFloat(i);
            } else if (type == DataTypes.LongType) {
                out[i] = vector.getLong(i);
            } else if (type == DataTypes.IntegerType) {
                out[i] = vector.getInt(i);
            } else if (type == DataTypes.ShortType) {
                out[i] = vector.getShort(i);
            } else if (type == DataTypes.ByteType) {
                out[i] = vector.getByte(i);
            } else if (type instanceof DecimalType decimal) {
                out[i] = vector.getDecimal(i, decimal.precision(), decimal.scale()).toJavaBigDecimal().doubleValue();
            } else {
                throw new IllegalStateException("weighted_avg pushdown over a " + type.sql() + " column");
            }
        }
        return out;
    }
}
