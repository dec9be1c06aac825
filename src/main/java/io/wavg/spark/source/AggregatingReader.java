package io.wavg.spark.source;

import java.util.ArrayList;
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
import io.wavg.spark.source.metrics.RowsAggregated;
import io.wavg.state.GroupedSums;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import io.wavg.state.WeightedSum;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Reads one row group and answers it with partial states: for each group (one row without GROUP BY), a
 * serialized {@link WeightedSum} per pushed function over the rows that pass the filter. Without GROUP BY
 * every batch goes to the kernel in one call per function.
 */
final class AggregatingReader implements PartitionReader<InternalRow> {
    private final RowGroupPartition partition;
    private final PushedAggregation aggregation;
    private final Configuration conf;
    private final WeightedAvgKernel[] kernels;
    private Iterator<InternalRow> results;
    private InternalRow current;
    private CustomTaskMetric[] readMetrics = new CustomTaskMetric[0];
    private long rowsAggregated;
    private long aggregationNanos;

    AggregatingReader(RowGroupPartition partition, PushedAggregation aggregation, Configuration conf) {
        this.partition = partition;
        this.aggregation = aggregation;
        this.conf = conf;
        this.kernels = aggregation.functions().stream().map(f -> Kernels.get(f.kernel()))
                .toArray(WeightedAvgKernel[]::new);
    }

    @Override
    public boolean next() {
        if (results == null) {
            results = aggregate().iterator();
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

    private List<InternalRow> aggregate() {
        List<Attribute> columns = aggregation.columns();
        StructType schema = DataTypeUtils.fromAttributes(CollectionConverters.asScala(columns).toSeq());
        BasePredicate filter = null;
        if (aggregation.filter() != null) {
            filter = Predicate$.MODULE$.create(aggregation.filter(), CollectionConverters.asScala(columns).toSeq());
            filter.initialize(TaskContext.getPartitionId());
        }
        try (RowGroupBatchReader reader = new RowGroupBatchReader(partition, schema, conf)) {
            List<InternalRow> rows = aggregation.groups().length == 0 ? global(reader, filter) : grouped(reader, filter);
            readMetrics = reader.currentMetricsValues();
            return rows;
        }
    }

    @Override
    public CustomTaskMetric[] currentMetricsValues() {
        CustomTaskMetric[] values = java.util.Arrays.copyOf(readMetrics, readMetrics.length + 2);
        values[readMetrics.length] = RowsAggregated.of(rowsAggregated);
        values[readMetrics.length + 1] = AggregationTime.of(aggregationNanos);
        return values;
    }

    private List<InternalRow> global(RowGroupBatchReader reader, BasePredicate filter) {
        List<PushedAggregation.Function> functions = aggregation.functions();
        long[][] states = new long[functions.size()][];
        for (int f = 0; f < states.length; f++) {
            states[f] = StateLayout.newState();
        }
        while (reader.next()) {
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
        Object[] row = new Object[states.length];
        for (int f = 0; f < states.length; f++) {
            kernels[f].normalize(states[f]);
            WeightedSum sum = new WeightedSum();
            sum.addKernelState(states[f]);
            row[f] = sum.serialize();
        }
        return List.of(new GenericInternalRow(row));
    }

    /**
     * Many groups: each pair goes to its group's compact exact sums (GroupedSums), whose extraction
     * levels are set from the row group's statistics.
     */
    private List<InternalRow> grouped(RowGroupBatchReader reader, BasePredicate filter) {
        List<Attribute> columns = aggregation.columns();
        int[] keyColumns = aggregation.groups();
        DataType[] keyTypes = new DataType[keyColumns.length];
        for (int k = 0; k < keyColumns.length; k++) {
            keyTypes[k] = columns.get(keyColumns[k]).dataType();
        }
        GroupIndex index = GroupIndex.of(keyColumns, keyTypes);
        List<PushedAggregation.Function> functions = aggregation.functions();
        GroupedSums[] sums = new GroupedSums[functions.size()];
        for (int f = 0; f < sums.length; f++) {
            sums[f] = new GroupedSums(reader.magnitudeBound(functions.get(f).weight()),
                    reader.magnitudeBound(functions.get(f).value()));
        }
        while (reader.next()) {
            ColumnarBatch batch = reader.get();
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
            for (int i = 0; i < n; i++) {
                if (excluded != null && excluded[i] != 0) {
                    continue;
                }
                int group = index.groupOf(batch, i);
                for (int f = 0; f < sums.length; f++) {
                    sums[f].ensureGroups(group + 1);
                    if (skips[f] == null || skips[f][i] == 0) {
                        sums[f].add(group, weights[f][i], values[f][i]);
                    }
                }
            }
            aggregationNanos += System.nanoTime() - start;
        }
        List<InternalRow> rows = new ArrayList<>(index.size());
        for (int group = 0; group < index.size(); group++) {
            Object[] key = index.key(group);
            Object[] row = java.util.Arrays.copyOf(key, key.length + sums.length);
            for (int f = 0; f < sums.length; f++) {
                sums[f].ensureGroups(group + 1);
                row[key.length + f] = sums[f].take(group).serialize();
            }
            rows.add(new GenericInternalRow(row));
        }
        return rows;
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
