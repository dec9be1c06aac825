package io.wavg.spark.columnar;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.MutableProjection;
import org.apache.spark.sql.catalyst.expressions.MutableProjection$;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.aggregate.DeclarativeAggregate;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.UnsafeFixedWidthAggregationMap;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;

import io.wavg.spark.Plans;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Spark's own declarative aggregates (count, sum, min, max, avg …) asked beside weighted_avg in one
 * GROUP BY, so the query keeps the columnar path: each group's partial buffer is the fixed-width row
 * Spark's hash aggregate would keep, updated by Spark's own update expressions (code-generated), so
 * the partial results, overflow checks included, are Spark's.
 */
public final class OtherAggregates implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<DeclarativeAggregate> functions;

    public OtherAggregates(List<DeclarativeAggregate> functions) {
        this.functions = functions;
    }

    /** Whether the function's partial buffer can live in fixed-width rows updated in place. */
    @SuppressWarnings("unchecked")
    public static boolean supported(DeclarativeAggregate function) {
        return UnsafeFixedWidthAggregationMap.supportsAggregationBufferSchema(DataTypeUtils.fromAttributes(
                (scala.collection.immutable.Seq<Attribute>) (scala.collection.immutable.Seq<?>) function.aggBufferAttributes()));
    }

    /** Buffer fields per function, in order: where each one's partial columns come from. */
    int[] widths() {
        return functions.stream().mapToInt(f -> f.aggBufferAttributes().size()).toArray();
    }

    public boolean isEmpty() {
        return functions.isEmpty();
    }

    /** One task's buffers: a row of fixed width per group, side by side in one array. */
    Buffers buffers(List<Attribute> input) {
        return new Buffers(input);
    }

    final class Buffers {
        private final MutableProjection update;
        private final byte[] initial;
        private final int width;
        private final DataType[] types;
        private final UnsafeRow buffer;
        private final JoinedRow joined = new JoinedRow();
        private byte[] rows = new byte[0];
        private int groups;

        private Buffers(List<Attribute> input) {
            List<AttributeReference> bufferAttributes = new ArrayList<>();
            List<Expression> initialValues = new ArrayList<>();
            List<Expression> updates = new ArrayList<>();
            for (DeclarativeAggregate function : functions) {
                bufferAttributes.addAll(CollectionConverters.asJava(function.aggBufferAttributes()));
                initialValues.addAll(CollectionConverters.asJava(function.initialValues()));
                updates.addAll(CollectionConverters.asJava(function.updateExpressions()));
            }
            List<Attribute> updateInput = new ArrayList<>(bufferAttributes);
            updateInput.addAll(input);
            update = MutableProjection$.MODULE$.create(Plans.seq(updates), Plans.seq(updateInput));
            UnsafeRow empty = UnsafeProjection.create(Plans.seq(initialValues)).apply(InternalRow.empty());
            initial = empty.getBytes();
            width = initial.length;
            types = bufferAttributes.stream().map(Attribute::dataType).toArray(DataType[]::new);
            buffer = new UnsafeRow(bufferAttributes.size());
        }

        /** Updates the buffers of the groups of rows 0..n-1 (-1 for none) with those rows. */
        void update(ColumnarBatch batch, int[] groupOfRow, int groupCount, int n) {
            if (groupCount > groups) {
                int capacity = Math.max(groupCount, Math.max(16, 2 * (rows.length / width)));
                rows = Arrays.copyOf(rows, capacity * width);
                for (int g = groups; g < capacity; g++) {
                    System.arraycopy(initial, 0, rows, g * width, width);
                }
                groups = capacity;
            }
            for (int i = 0; i < n; i++) {
                int group = groupOfRow[i];
                if (group >= 0) {
                    buffer.pointTo(rows, Platform.BYTE_ARRAY_OFFSET + (long) group * width, width);
                    update.target(buffer).apply(joined.apply(buffer, batch.getRow(i)));
                }
            }
        }

        /** Group g's buffer fields, appended to {@code out} from {@code at}. */
        void read(int group, Object[] out, int at) {
            if (group >= groups) { // a group no row has updated yet: its initial values
                buffer.pointTo(initial, Platform.BYTE_ARRAY_OFFSET, width);
            } else {
                buffer.pointTo(rows, Platform.BYTE_ARRAY_OFFSET + (long) group * width, width);
            }
            for (int f = 0; f < types.length; f++) {
                out[at + f] = buffer.isNullAt(f) ? null : buffer.get(f, types[f]);
            }
        }
    }
}
