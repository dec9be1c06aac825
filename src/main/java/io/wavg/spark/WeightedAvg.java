package io.wavg.spark;

import static io.wavg.spark.Plans.seq;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.analysis.TypeCheckResult;
import org.apache.spark.sql.catalyst.expressions.ExpectsInputTypes$;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.aggregate.ImperativeAggregate;
import org.apache.spark.sql.catalyst.expressions.aggregate.TypedImperativeAggregate;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.NullType$;
import org.apache.spark.sql.types.NumericType$;
import org.apache.spark.sql.types.StructType;

import io.wavg.kernel.KernelChoice;
import io.wavg.kernel.Kernels;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.state.WeightedSum;
import scala.collection.Iterator;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * weighted_avg(value, weight) and weighted_avg_stats(value, weight): the exact weighted average of the
 * pairs where neither side is NULL. Inputs of any numeric type are converted to DOUBLE (correctly
 * rounded) and accumulated exactly; partial states are serialized {@link WeightedSum}s that Catalyst
 * merges after the exchange.
 */
public final class WeightedAvg extends WeightedSumAggregate {
    private static final long serialVersionUID = 1L;

    private final Expression value;
    private final Expression weight;

    public WeightedAvg(Expression value, Expression weight, Output output, KernelChoice kernelChoice,
                       int mutableAggBufferOffset, int inputAggBufferOffset) {
        super(output, kernelChoice, mutableAggBufferOffset, inputAggBufferOffset);
        this.value = value;
        this.weight = weight;
    }

    public WeightedAvg(Expression value, Expression weight, Output output, KernelChoice kernelChoice) {
        this(value, weight, output, kernelChoice, 0, 0);
    }

    public Expression value() {
        return value;
    }

    public Expression weight() {
        return weight;
    }

    // ---- the aggregate ---------------------------------------------------------------------------

    @Override
    public WeightedAvgBuffer update(WeightedAvgBuffer buffer, InternalRow input) {
        // columns of a primitive type (as a window operator binds them) are read without boxing a row
        if (value instanceof BoundReference v && weight instanceof BoundReference w && primitive(v) && primitive(w)) {
            if (!input.isNullAt(v.ordinal()) && !input.isNullAt(w.ordinal())) {
                buffer.add(read(input, w), read(input, v), kernel());
            }
            return buffer;
        }
        Object v = value.eval(input);
        if (v == null) {
            return buffer;
        }
        Object w = weight.eval(input);
        if (w == null) {
            return buffer;
        }
        buffer.add(toDouble(w), toDouble(v), kernel());
        return buffer;
    }

    private static boolean primitive(BoundReference column) {
        DataType type = column.dataType();
        return type instanceof DoubleType || type instanceof LongType || type instanceof IntegerType
                || type instanceof FloatType || type instanceof ShortType || type instanceof ByteType;
    }

    /** A primitive column as a double: exact, or (a long) correctly rounded, as {@link #toDouble}. */
    private static double read(InternalRow row, BoundReference column) {
        int i = column.ordinal();
        DataType type = column.dataType();
        return type instanceof DoubleType ? row.getDouble(i)
                : type instanceof LongType ? (double) row.getLong(i)
                : type instanceof IntegerType ? row.getInt(i)
                : type instanceof FloatType ? row.getFloat(i)
                : type instanceof ShortType ? row.getShort(i)
                : row.getByte(i);
    }

    /** Correctly rounded conversion of any Spark numeric value. */
    private static double toDouble(Object number) {
        if (number instanceof Double d) {
            return d;
        }
        if (number instanceof Decimal d) {
            return d.toJavaBigDecimal().doubleValue();
        }
        return ((Number) number).doubleValue();
    }

    // ---- the expression ----------------------------------------------------------------------------

    @Override
    public TypeCheckResult checkInputDataTypes() {
        // An untyped NULL argument is accepted, as Spark's own aggregates accept it: every pair has a
        // NULL side, so the result is NULL. Anything else must be numeric.
        Seq<AbstractDataType> expected = seq(List.of(numericOrNull(value), numericOrNull(weight)));
        return ExpectsInputTypes$.MODULE$.checkInputDataTypes(children(), expected);
    }

    private static AbstractDataType numericOrNull(Expression argument) {
        return argument.dataType() instanceof NullType ? NullType$.MODULE$ : NumericType$.MODULE$;
    }

    @Override
    public String prettyName() {
        return output.functionName;
    }

    @Override
    public Seq<Expression> children() {
        return seq(List.of(value, weight));
    }

    @Override
    public Expression withNewChildrenInternal(IndexedSeq<Expression> children) {
        return new WeightedAvg(children.apply(0), children.apply(1), output, kernelChoice,
                mutableAggBufferOffset, inputAggBufferOffset);
    }

    /** Shows only the arguments in plans: weighted_avg(value, weight). */
    @Override
    public Iterator<Object> flatArguments() {
        return CollectionConverters.<Object>asScala(List.<Object>of(value, weight).iterator());
    }

    @Override
    public ImperativeAggregate withNewMutableAggBufferOffset(int offset) {
        return new WeightedAvg(value, weight, output, kernelChoice, offset, inputAggBufferOffset);
    }

    @Override
    public ImperativeAggregate withNewInputAggBufferOffset(int offset) {
        return new WeightedAvg(value, weight, output, kernelChoice, mutableAggBufferOffset, offset);
    }

    // ---- what a Scala case class would generate: tree nodes are compared and copied through these ----

    @Override
    public int productArity() {
        return 6;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> value;
            case 1 -> weight;
            case 2 -> output;
            case 3 -> kernelChoice;
            case 4 -> mutableAggBufferOffset;
            case 5 -> inputAggBufferOffset;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof WeightedAvg;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WeightedAvg o && value.equals(o.value) && weight.equals(o.weight)
                && output == o.output && kernelChoice.equals(o.kernelChoice)
                && mutableAggBufferOffset == o.mutableAggBufferOffset
                && inputAggBufferOffset == o.inputAggBufferOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, weight, output, kernelChoice, mutableAggBufferOffset, inputAggBufferOffset);
    }
}
