package io.wavg.spark;

import java.io.Serializable;

import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.aggregate.TypedImperativeAggregate;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import io.wavg.kernel.KernelChoice;
import io.wavg.kernel.Kernels;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.state.WeightedSum;

/**
 * What the aggregates over a {@link WeightedSum} share: the buffer, merging, serialization and the
 * result. Subclasses decide what a row adds: a (value, weight) pair, or a serialized partial state.
 */
public abstract class WeightedSumAggregate extends TypedImperativeAggregate<WeightedAvgBuffer>
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What the function returns. */
    public enum Output {
        /** DOUBLE: the weighted average. */
        AVERAGE("weighted_avg"),
        /** STRUCT of the weighted average, the total weight and the number of pairs. */
        STATS("weighted_avg_stats");

        final String functionName;

        Output(String functionName) {
            this.functionName = functionName;
        }

        public String functionName() {
            return functionName;
        }
    }

    static final StructType STATS_TYPE = new StructType()
            .add("weighted_avg", DataTypes.DoubleType, true)
            .add("total_weight", DataTypes.DoubleType, true)
            .add("pairs", DataTypes.LongType, false);

    protected final Output output;
    protected final KernelChoice kernelChoice;
    protected final int mutableAggBufferOffset;
    protected final int inputAggBufferOffset;
    private transient WeightedAvgKernel kernel;

    protected WeightedSumAggregate(Output output, KernelChoice kernelChoice, int mutableAggBufferOffset,
                                   int inputAggBufferOffset) {
        this.output = output;
        this.kernelChoice = kernelChoice;
        this.mutableAggBufferOffset = mutableAggBufferOffset;
        this.inputAggBufferOffset = inputAggBufferOffset;
    }

    public Output output() {
        return output;
    }

    public KernelChoice kernelChoice() {
        return kernelChoice;
    }

    WeightedAvgKernel kernel() {
        if (kernel == null) {
            kernel = Kernels.get(kernelChoice);
        }
        return kernel;
    }

    @Override
    public WeightedAvgBuffer createAggregationBuffer() {
        return new WeightedAvgBuffer();
    }

    @Override
    public WeightedAvgBuffer merge(WeightedAvgBuffer buffer, WeightedAvgBuffer input) {
        buffer.merge(input, kernel());
        return buffer;
    }

    @Override
    public Object eval(WeightedAvgBuffer buffer) {
        return result(buffer.flush(kernel()), output);
    }

    /** The function's value for a complete state. */
    public static Object result(WeightedSum sum, Output output) {
        if (output == Output.AVERAGE) {
            return sum.average();
        }
        return new GenericInternalRow(new Object[] {
                sum.average(), sum.count() == 0 ? null : sum.totalWeight(), sum.count()});
    }

    @Override
    public byte[] serialize(WeightedAvgBuffer buffer) {
        return buffer.flush(kernel()).serialize();
    }

    @Override
    public WeightedAvgBuffer deserialize(byte[] bytes) {
        return new WeightedAvgBuffer(WeightedSum.deserialize(bytes));
    }

    @Override
    public boolean nullable() {
        return output == Output.AVERAGE;
    }

    @Override
    public DataType dataType() {
        return output == Output.AVERAGE ? DataTypes.DoubleType : STATS_TYPE;
    }

    @Override
    public int mutableAggBufferOffset() {
        return mutableAggBufferOffset;
    }

    @Override
    public int inputAggBufferOffset() {
        return inputAggBufferOffset;
    }
}
