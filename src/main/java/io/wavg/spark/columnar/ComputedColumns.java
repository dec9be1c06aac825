package io.wavg.spark.columnar;

import java.io.Serializable;
import java.util.List;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.spark.Plans;
import scala.collection.immutable.Seq;

/**
 * What a filter and a projection between the scan and the aggregate ask of each batch (a WHERE clause,
 * a computed key such as {@code CAST(qty % 10 AS INT)}, an argument such as {@code CAST(price AS
 * FLOAT)}): the filter's verdict per row, and each computed expression as one more column vector after
 * the scan's, so the columnar aggregation reads them like any column. The filter runs as a
 * {@link ColumnFilter}; computed columns are evaluated by Spark's code-generated projection a row at a
 * time, or once per dictionary entry of the one column they read ({@link ByDictionary}), only on rows
 * the filter keeps (an expression that would fail on a filtered-out row, as in
 * Spark, is never run there).
 */
public final class ComputedColumns implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Expression condition; // over the scan's columns, null for none
    private final List<Expression> computed;

    private ComputedColumns(Expression condition, List<Expression> computed) {
        this.condition = condition;
        this.computed = computed;
    }

    /** From a plan node's elements: the WHERE as a sequence of none or one, the computed expressions. */
    static ComputedColumns of(Seq<Expression> condition, Seq<Expression> computed) {
        return new ComputedColumns(condition.isEmpty() ? null : condition.head(),
                new java.util.ArrayList<>(scala.jdk.javaapi.CollectionConverters.asJava(computed)));
    }

    /** Whether a computed column of this type can be written to a vector here. */
    public static boolean writable(DataType type) {
        return writer(type) != null;
    }

    /** One task's evaluation: a predicate, a projection, and vectors reused batch after batch. */
    public Evaluator evaluator(Seq<Attribute> scanOutput, int partition) {
        return new Evaluator(scanOutput, partition);
    }

    public final class Evaluator {
        private final ColumnFilter filter;
        private final UnsafeProjection projection;
        private final DataType[] types;
        private final Writer[] writers;
        private final ByDictionary[] byDictionary; // per computed column, null where it reads several
        private final boolean[] fromDictionary;
        private OnHeapColumnVector[] vectors = new OnHeapColumnVector[0];
        private int capacity;
        private byte[] excluded;

        private Evaluator(Seq<Attribute> scanOutput, int partition) {
            filter = condition == null ? null : new ColumnFilter(condition, scanOutput, partition);
            projection = computed.isEmpty() ? null : UnsafeProjection.create(Plans.seq(computed), scanOutput);
            types = computed.stream().map(Expression::dataType).toArray(DataType[]::new);
            writers = computed.stream().map(e -> writer(e.dataType())).toArray(Writer[]::new);
            List<Attribute> columns = scala.jdk.javaapi.CollectionConverters.asJava(scanOutput);
            byDictionary = computed.stream().map(e -> ByDictionary.of(e, columns)).toArray(ByDictionary[]::new);
            fromDictionary = new boolean[computed.size()];
        }

        /**
         * The batch with the computed columns after the scan's; rows the filter rejects are flagged in
         * {@link #excluded()}. The batch is valid until the next call.
         */
        public ColumnarBatch extend(ColumnarBatch batch) {
            int n = batch.numRows();
            if (filter != null) {
                excluded = filter.excluded(batch);
            }
            if (projection == null) {
                return batch;
            }
            if (capacity < n) {
                for (OnHeapColumnVector vector : vectors) {
                    vector.close();
                }
                capacity = Math.max(n, 4096);
                vectors = new OnHeapColumnVector[types.length];
                for (int c = 0; c < types.length; c++) {
                    vectors[c] = new OnHeapColumnVector(capacity, types[c]);
                }
            }
            for (OnHeapColumnVector vector : vectors) {
                vector.reset();
            }
            int scanColumns = batch.numCols();
            ColumnVector[] columns = new ColumnVector[scanColumns + vectors.length];
            for (int c = 0; c < scanColumns; c++) {
                columns[c] = batch.column(c);
            }
            boolean perRow = false;
            for (int c = 0; c < types.length; c++) {
                fromDictionary[c] = byDictionary[c] != null && byDictionary[c].prepare(columns);
                perRow |= !fromDictionary[c];
            }
            for (int i = 0; i < n; i++) {
                if (excluded != null && excluded[i] != 0) {
                    for (OnHeapColumnVector vector : vectors) {
                        vector.putNull(i);
                    }
                    continue;
                }
                UnsafeRow row = perRow ? projection.apply(batch.getRow(i)) : null;
                for (int c = 0; c < types.length; c++) {
                    InternalRow value = fromDictionary[c] ? byDictionary[c].valueAt(i) : row;
                    int field = fromDictionary[c] ? 0 : c;
                    if (value.isNullAt(field)) {
                        vectors[c].putNull(i);
                    } else {
                        writers[c].put(vectors[c], i, value, field);
                    }
                }
            }
            System.arraycopy(vectors, 0, columns, scanColumns, vectors.length);
            return new ColumnarBatch(columns, n);
        }

        /** One byte per row of the last batch, non-zero where the filter rejected it; null without a filter. */
        public byte[] excluded() {
            return excluded;
        }

        public void close() {
            for (OnHeapColumnVector vector : vectors) {
                vector.close();
            }
        }
    }

    /** Copies a projected value into a vector; one is chosen per computed column, by its type. */
    @FunctionalInterface
    private interface Writer {
        void put(OnHeapColumnVector vector, int i, InternalRow row, int c);
    }

    /** The writer for a computed column's type, or null for a type it cannot write. */
    private static Writer writer(DataType type) {
        if (type instanceof DoubleType) {
            return (vector, i, row, c) -> vector.putDouble(i, row.getDouble(c));
        }
        if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
            return (vector, i, row, c) -> vector.putLong(i, row.getLong(c));
        }
        if (type instanceof IntegerType || type instanceof DateType) {
            return (vector, i, row, c) -> vector.putInt(i, row.getInt(c));
        }
        if (type instanceof FloatType) {
            return (vector, i, row, c) -> vector.putFloat(i, row.getFloat(c));
        }
        if (type instanceof ShortType) {
            return (vector, i, row, c) -> vector.putShort(i, row.getShort(c));
        }
        if (type instanceof ByteType) {
            return (vector, i, row, c) -> vector.putByte(i, row.getByte(c));
        }
        if (type instanceof BooleanType) {
            return (vector, i, row, c) -> vector.putBoolean(i, row.getBoolean(c));
        }
        if (type instanceof DecimalType decimal) {
            return (vector, i, row, c) -> vector.putDecimal(i, row.getDecimal(c, decimal.precision(), decimal.scale()),
                    decimal.precision());
        }
        if (type instanceof StringType) {
            return (vector, i, row, c) -> vector.putByteArray(i, row.getUTF8String(c).getBytes());
        }
        if (type instanceof BinaryType) {
            return (vector, i, row, c) -> vector.putByteArray(i, row.getBinary(c));
        }
        return null;
    }
}
