package io.wavg.spark;

import java.util.List;
import java.util.Objects;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.ImperativeAggregate;
import org.apache.spark.sql.types.DataTypes;

import io.wavg.kernel.KernelChoice;
import io.wavg.state.WeightedSum;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Merges serialized weighted_avg states that a scan computed itself (aggregate pushdown): the same
 * result as {@link WeightedAvg} over the rows those states were made from, bit for bit.
 */
public final class MergeWeightedAvg extends WeightedSumAggregate {
    private static final long serialVersionUID = 1L;

    private final Expression state;

    public MergeWeightedAvg(Expression state, Output output, KernelChoice kernelChoice, int mutableAggBufferOffset,
                            int inputAggBufferOffset) {
        super(output, kernelChoice, mutableAggBufferOffset, inputAggBufferOffset);
        this.state = state;
    }

    public MergeWeightedAvg(Expression state, Output output, KernelChoice kernelChoice) {
        this(state, output, kernelChoice, 0, 0);
    }

    @Override
    public WeightedAvgBuffer update(WeightedAvgBuffer buffer, InternalRow input) {
        byte[] bytes = (byte[]) state.eval(input);
        if (bytes != null) {
            buffer.flush(kernel()).merge(WeightedSum.deserialize(bytes));
        }
        return buffer;
    }

    @Override
    public String prettyName() {
        return output.functionName() + "_merge";
    }

    @Override
    public Seq<Expression> children() {
        return CollectionConverters.asScala(List.of(state)).toSeq();
    }

    @Override
    public Expression withNewChildrenInternal(IndexedSeq<Expression> children) {
        return new MergeWeightedAvg(children.apply(0), output, kernelChoice, mutableAggBufferOffset,
                inputAggBufferOffset);
    }

    @Override
    public org.apache.spark.sql.catalyst.analysis.TypeCheckResult checkInputDataTypes() {
        return state.dataType() == DataTypes.BinaryType
                ? org.apache.spark.sql.catalyst.analysis.TypeCheckResult.TypeCheckSuccess$.MODULE$
                : new org.apache.spark.sql.catalyst.analysis.TypeCheckResult.TypeCheckFailure(
                        prettyName() + " merges BINARY states, not " + state.dataType().sql());
    }

    /** Shows only the state column in plans. */
    @Override
    public scala.collection.Iterator<Object> flatArguments() {
        return CollectionConverters.<Object>asScala(List.<Object>of(state).iterator());
    }

    @Override
    public ImperativeAggregate withNewMutableAggBufferOffset(int offset) {
        return new MergeWeightedAvg(state, output, kernelChoice, offset, inputAggBufferOffset);
    }

    @Override
    public ImperativeAggregate withNewInputAggBufferOffset(int offset) {
        return new MergeWeightedAvg(state, output, kernelChoice, mutableAggBufferOffset, offset);
    }

    @Override
    public int productArity() {
        return 5;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> state;
            case 1 -> output;
            case 2 -> kernelChoice;
            case 3 -> mutableAggBufferOffset;
            case 4 -> inputAggBufferOffset;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof MergeWeightedAvg;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MergeWeightedAvg o && state.equals(o.state) && output == o.output
                && kernelChoice.equals(o.kernelChoice) && mutableAggBufferOffset == o.mutableAggBufferOffset
                && inputAggBufferOffset == o.inputAggBufferOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(state, output, kernelChoice, mutableAggBufferOffset, inputAggBufferOffset);
    }
}
