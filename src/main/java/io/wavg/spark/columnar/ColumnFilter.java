package io.wavg.spark.columnar;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.BinaryComparison;
import org.apache.spark.sql.catalyst.expressions.EqualTo;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GreaterThan;
import org.apache.spark.sql.catalyst.expressions.GreaterThanOrEqual;
import org.apache.spark.sql.catalyst.expressions.IsNotNull;
import org.apache.spark.sql.catalyst.expressions.LessThan;
import org.apache.spark.sql.catalyst.expressions.LessThanOrEqual;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.Predicate$;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A WHERE over a scan's batches, as one byte per row (non-zero where the row is rejected). The
 * conjuncts a scan's filter mostly holds, {@code col IS NOT NULL} and {@code col <op> literal} on an
 * integral, date, timestamp or double column, run as loops over the column vectors; any other conjunct
 * goes to Spark's code-generated predicate, asked only about the rows still kept. Comparisons follow
 * Spark's semantics: NULL rejects, NaN equals NaN and is above every other double, -0.0 equals 0.0.
 */
final class ColumnFilter {
    private enum Op { LT, LE, EQ, GE, GT }

    /** A vectorized conjunct: column {@code ordinal} compared with a constant, or only not NULL. */
    private record Comparison(int ordinal, DataType type, Op op, long integral, double floating) {}

    private final List<Comparison> comparisons = new ArrayList<>();
    private final BasePredicate rest;
    private byte[] excluded = new byte[0];

    ColumnFilter(Expression condition, Seq<Attribute> input, int partition) {
        List<Attribute> columns = CollectionConverters.asJava(input);
        List<Expression> others = new ArrayList<>();
        for (Expression conjunct : conjuncts(condition, new ArrayList<>())) {
            Comparison comparison = comparison(conjunct, columns);
            if (comparison != null) {
                comparisons.add(comparison);
            } else {
                others.add(conjunct);
            }
        }
        if (others.isEmpty()) {
            rest = null;
        } else {
            Expression residual = others.get(0);
            for (Expression other : others.subList(1, others.size())) {
                residual = new And(residual, other);
            }
            rest = Predicate$.MODULE$.create(residual, input);
            rest.initialize(partition);
        }
    }

    private static List<Expression> conjuncts(Expression condition, List<Expression> into) {
        if (condition instanceof And and) {
            conjuncts(and.left(), into);
            conjuncts(and.right(), into);
        } else {
            into.add(condition);
        }
        return into;
    }

    private static Comparison comparison(Expression conjunct, List<Attribute> columns) {
        if (conjunct instanceof IsNotNull notNull) {
            int ordinal = ColumnarWeightedAvgRule.column(notNull.child(), columns);
            return ordinal < 0 ? null : new Comparison(ordinal, null, null, 0, 0.0);
        }
        if (!(conjunct instanceof BinaryComparison comparison) || op(comparison) == null) {
            return null;
        }
        Op op = op(comparison);
        Expression column = comparison.left();
        Expression constant = comparison.right();
        if (column instanceof Literal) { // 5 < col is col > 5
            column = comparison.right();
            constant = comparison.left();
            op = switch (op) {
                case LT -> Op.GT;
                case LE -> Op.GE;
                case GE -> Op.LE;
                case GT -> Op.LT;
                case EQ -> Op.EQ;
            };
        }
        int ordinal = ColumnarWeightedAvgRule.column(column, columns);
        DataType type = column.dataType();
        if (ordinal < 0 || !(constant instanceof Literal literal) || literal.value() == null
                || !literal.dataType().equals(type)) {
            return null;
        }
        if (type == DataTypes.LongType || type == DataTypes.TimestampType || type == DataTypes.TimestampNTZType) {
            return new Comparison(ordinal, DataTypes.LongType, op, (Long) literal.value(), 0.0);
        }
        if (type == DataTypes.IntegerType || type == DataTypes.DateType) {
            return new Comparison(ordinal, DataTypes.IntegerType, op, (Integer) literal.value(), 0.0);
        }
        if (type == DataTypes.DoubleType) {
            return new Comparison(ordinal, type, op, 0, (Double) literal.value());
        }
        return null;
    }

    private static Op op(BinaryComparison comparison) {
        return comparison instanceof LessThan ? Op.LT : comparison instanceof LessThanOrEqual ? Op.LE
                : comparison instanceof EqualTo ? Op.EQ : comparison instanceof GreaterThanOrEqual ? Op.GE
                : comparison instanceof GreaterThan ? Op.GT : null;
    }

    /** The verdicts for a batch's rows; the array is reused and may be longer than the batch. */
    byte[] excluded(ColumnarBatch batch) {
        int n = batch.numRows();
        if (excluded.length < n) {
            excluded = new byte[Math.max(n, 2 * excluded.length)];
        }
        java.util.Arrays.fill(excluded, 0, n, (byte) 0);
        for (Comparison comparison : comparisons) {
            apply(comparison, batch.column(comparison.ordinal()), n);
        }
        if (rest != null) {
            for (int i = 0; i < n; i++) {
                if (excluded[i] == 0 && !rest.eval(batch.getRow(i))) {
                    excluded[i] = 1;
                }
            }
        }
        return excluded;
    }

    private void apply(Comparison comparison, ColumnVector vector, int n) {
        byte[] nulls = VectorAccess.nulls(vector, n);
        if (nulls != null) {
            for (int i = 0; i < n; i++) {
                excluded[i] |= nulls[i];
            }
        }
        if (comparison.type() == null) {
            return;
        }
        Op op = comparison.op();
        if (comparison.type() == DataTypes.DoubleType) {
            // a dictionary's ids are read one kept row at a time: a NULL row's id may be anything
            double[] values = vector instanceof WritableColumnVector w && w.hasDictionary()
                    ? null : VectorAccess.doubles(vector, n);
            double constant = comparison.floating();
            for (int i = 0; i < n; i++) {
                double x = values != null ? values[i] : excluded[i] != 0 ? 0.0 : vector.getDouble(i);
                int order = x == constant ? 0 : Double.compare(x, constant); // -0.0 == 0.0, NaN == NaN, NaN on top
                excluded[i] |= (byte) (keeps(op, order) ? 0 : 1);
            }
        } else if (comparison.type() == DataTypes.LongType) {
            long constant = comparison.integral();
            long[] values = VectorAccess.longs(vector, n);
            for (int i = 0; i < n; i++) {
                long x = values != null ? values[i] : excluded[i] != 0 ? 0 : vector.getLong(i);
                excluded[i] |= (byte) (keeps(op, Long.compare(x, constant)) ? 0 : 1);
            }
        } else {
            long constant = comparison.integral();
            int[] values = VectorAccess.ints(vector, n);
            for (int i = 0; i < n; i++) {
                int x = values != null ? values[i] : excluded[i] != 0 ? 0 : vector.getInt(i);
                excluded[i] |= (byte) (keeps(op, Long.compare(x, constant)) ? 0 : 1);
            }
        }
    }

    private static boolean keeps(Op op, int order) {
        return switch (op) {
            case LT -> order < 0;
            case LE -> order <= 0;
            case EQ -> order == 0;
            case GE -> order >= 0;
            case GT -> order > 0;
        };
    }
}
