package io.wavg.spark.window;

import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.StructType;

import io.wavg.spark.WeightedSumAggregate;
import io.wavg.spark.rows.Arguments;
import io.wavg.state.WeightedSum;
import scala.collection.immutable.Seq;

/**
 * What a task of {@link SlidingWeightedAvgExec} runs over its sorted rows: per window partition and
 * function, one exact sum that each row's pair enters and, once the frame has passed it, leaves. A
 * pair whose product does not split exactly into two doubles (an infinity, a NaN, an overflow or deep
 * underflow) never enters it: while such a pair is in the frame, the frame's answer is the sum plus
 * those pairs added through the exact kernel, so every frame's sums are exactly its pairs' and the
 * answer the same bits as summing the frame afresh.
 */
record SlidingFrames(Seq<Expression> partitionSpec, Arguments arguments, List<WeightedSumAggregate.Output> outputs,
                     int[] preceding, Seq<Attribute> input, StructType schema, Map<String, SQLMetric> metrics)
        implements Serializable {

    Iterator<InternalRow> apply(Iterator<InternalRow> rows) {
        UnsafeProjection partitionOf = UnsafeProjection.create(partitionSpec, input);
        UnsafeProjection argumentsOf = arguments.projection(input);
        UnsafeProjection toOutput = UnsafeProjection.create(schema);
        JoinedRow joined = new JoinedRow();
        Frame[] frames = new Frame[outputs.size()];
        for (int f = 0; f < frames.length; f++) {
            frames[f] = new Frame(preceding[f]);
        }
        return new Iterator<>() {
            private UnsafeRow partition;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public InternalRow next() {
                InternalRow row = rows.next();
                UnsafeRow key = partitionOf.apply(row);
                if (partition == null || !partition.equals(key)) {
                    partition = key.copy();
                    for (Frame frame : frames) {
                        frame.reset();
                    }
                }
                InternalRow pair = argumentsOf.apply(row);
                Object[] values = new Object[frames.length];
                for (int f = 0; f < frames.length; f++) {
                    boolean present = !arguments.anyNull(pair, f);
                    WeightedSum frameSum = frames[f].push(present, present ? arguments.weight(pair, f) : 0.0,
                            present ? arguments.value(pair, f) : 0.0);
                    values[f] = WeightedSumAggregate.result(frameSum, outputs.get(f));
                }
                metrics.get("numOutputRows").add(1);
                return toOutput.apply(joined.apply(row, new GenericInternalRow(values)));
            }
        };
    }

    /** One function's frame in the current window partition. */
    private final class Frame {
        private static final byte ABSENT = 0, SPLIT = 1, WHOLE = 2;

        private final int preceding; // rows before the current one in the frame, -1 for all
        private final WeightedSum split = new WeightedSum();
        private final WeightedSum answer = new WeightedSum();
        private final double[] weights;
        private final double[] values;
        private final byte[] kinds;
        private WeightedSum whole;   // UNBOUNDED PRECEDING: the pairs that do not split, once met
        private int wholeInFrame;    // n PRECEDING: how many of the ring's pairs do not split
        private long rows;

        Frame(int preceding) {
            this.preceding = preceding;
            int ring = preceding < 0 ? 0 : preceding + 1;
            weights = new double[ring];
            values = new double[ring];
            kinds = new byte[ring];
        }

        void reset() {
            split.clear();
            whole = null;
            wholeInFrame = 0;
            rows = 0;
        }

        /** Adds the current row's pair (absent when a side is NULL); the frame's exact sums. */
        WeightedSum push(boolean present, double weight, double value) {
            byte kind = !present ? ABSENT : WeightedSum.splits(weight, value) ? SPLIT : WHOLE;
            if (kind == SPLIT) {
                split.addSplitPair(weight, value, 1);
            }
            if (preceding < 0) {
                if (kind == WHOLE) {
                    whole = whole == null ? new WeightedSum() : whole;
                    whole.addPair(weight, value);
                }
                rows++;
                if (whole == null) {
                    return split;
                }
                answer.clear();
                answer.merge(split);
                answer.merge(whole);
                return answer;
            }
            int slot = (int) (rows % kinds.length);
            if (rows >= kinds.length) { // the pair preceding + 1 rows back leaves
                if (kinds[slot] == SPLIT) {
                    split.addSplitPair(weights[slot], values[slot], -1);
                } else if (kinds[slot] == WHOLE) {
                    wholeInFrame--;
                }
            }
            kinds[slot] = kind;
            weights[slot] = weight;
            values[slot] = value;
            wholeInFrame += kind == WHOLE ? 1 : 0;
            rows++;
            if (wholeInFrame == 0) {
                return split;
            }
            metrics.get("framesSummedAfresh").add(1);
            answer.clear();
            answer.merge(split);
            for (int i = 0; i < Math.min(rows, kinds.length); i++) {
                if (kinds[i] == WHOLE) {
                    answer.addPair(weights[i], values[i]);
                }
            }
            return answer;
        }
    }
}
