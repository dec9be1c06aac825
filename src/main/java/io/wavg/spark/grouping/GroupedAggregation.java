package io.wavg.spark.grouping;

import java.util.Arrays;
import java.util.Iterator;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.spark.columnar.NumericColumn;
import io.wavg.spark.columnar.VectorAccess;
import io.wavg.state.GroupedSums;

/**
 * The GROUP BY loop both the pushed scan and the columnar partial aggregate run: each batch's rows
 * get their group ids from a {@link GroupIndex}, then each function's pairs go to its groups'
 * {@link GroupedSums}. The result is one row a group: the key values, then each function's serialized
 * partial state.
 */
public final class GroupedAggregation {
    private final GroupIndex index;
    private final GroupedSums[] sums;
    private final int[] weightColumns;
    private final int[] valueColumns;
    private final NumericColumn[] weights;
    private final NumericColumn[] values;
    private int[] groupIds = new int[0];

    /**
     * @param columnTypes  the types of the batches' columns
     * @param keyRange     {min, max} of a single integral key, or null when unknown
     * @param rows         how many rows will come, or 0 when unknown
     * @param weightBounds per function, a bound on |weight| (NaN when unknown); valueBounds likewise
     */
    public GroupedAggregation(DataType[] columnTypes, int[] keyColumns, long[] keyRange, long rows,
                              int[] weightColumns, int[] valueColumns, double[] weightBounds, double[] valueBounds) {
        DataType[] keyTypes = new DataType[keyColumns.length];
        for (int k = 0; k < keyColumns.length; k++) {
            keyTypes[k] = columnTypes[keyColumns[k]];
        }
        this.index = GroupIndex.of(keyColumns, keyTypes, keyRange, rows);
        this.weightColumns = weightColumns;
        this.valueColumns = valueColumns;
        this.sums = new GroupedSums[weightColumns.length];
        this.weights = new NumericColumn[sums.length];
        this.values = new NumericColumn[sums.length];
        for (int f = 0; f < sums.length; f++) {
            sums[f] = new GroupedSums(weightBounds[f], valueBounds[f]);
            weights[f] = new NumericColumn();
            values[f] = new NumericColumn();
        }
    }

    /** Adds rows 0..n-1 of a batch, but those where {@code excluded} (null for none) is non-zero. */
    public void add(ColumnarBatch batch, byte[] excluded) {
        add(batch, excluded, null);
    }

    /**
     * As {@link #add(ColumnarBatch, byte[])}; besides, function f skips the rows where
     * {@code skips[f]} is non-zero (a FILTER clause), while those rows still make their groups.
     *
     * @param skips per function, one byte per row or null for none; null for no function
     */
    public void add(ColumnarBatch batch, byte[] excluded, byte[][] skips) {
        int n = batch.numRows();
        int[] groups = groupIds.length >= n ? groupIds : (groupIds = new int[n]);
        index.groupsOf(batch, n, excluded, groups);
        for (int f = 0; f < sums.length; f++) {
            ColumnVector w = batch.column(weightColumns[f]);
            ColumnVector v = batch.column(valueColumns[f]);
            byte[] skip = VectorAccess.union(VectorAccess.nulls(w, n), VectorAccess.nulls(v, n), n);
            if (skips != null) {
                skip = VectorAccess.union(skip, skips[f], n);
            }
            sums[f].ensureGroups(index.size());
            sums[f].addAll(groups, weights[f].read(w, n), values[f].read(v, n), skip, n);
        }
    }

    /** The group id of each row of the last batch added (-1 for none); the array may be longer. */
    public int[] lastGroupIds() {
        return groupIds;
    }

    /** Groups met so far. */
    public int groups() {
        return index.size();
    }

    /**
     * One row a group: its key values, then each function's serialized state. States are serialized as
     * the rows are taken, so they are never all held twice; the aggregation is spent.
     */
    public Iterator<InternalRow> results() {
        int size = index.size();
        return new Iterator<>() {
            private int group;

            @Override
            public boolean hasNext() {
                return group < size;
            }

            @Override
            public InternalRow next() {
                Object[] key = index.key(group);
                Object[] row = Arrays.copyOf(key, key.length + sums.length);
                for (int f = 0; f < sums.length; f++) { // add() made every function's sums hold each group
                    row[key.length + f] = sums[f].takeSerialized(group);
                }
                group++;
                return new GenericInternalRow(row);
            }
        };
    }
}
