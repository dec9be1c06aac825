package io.wavg.spark.source;

import java.io.Serializable;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import io.wavg.kernel.KernelChoice;
import io.wavg.spark.WeightedSumAggregate.Output;

/**
 * What a scan computes when weighted_avg is pushed into it: per split and per group, one serialized
 * state for each function, over the rows that pass the filter.
 *
 * @param columns   the columns a split reads, in this order
 * @param groups    indexes into columns of the GROUP BY keys; empty for a global aggregate
 * @param functions the weighted_avg calls, each over two of the columns
 * @param filter    the WHERE condition over columns, or null
 */
public record PushedAggregation(List<Attribute> columns, int[] groups, List<Function> functions, Expression filter)
        implements Serializable {

    /** One weighted_avg(value, weight): indexes into columns. */
    public record Function(int value, int weight, Output output, KernelChoice kernel) implements Serializable {}

    /** The keys, then one BINARY state per function. */
    public StructType outputSchema() {
        StructType schema = new StructType();
        for (int g : groups) {
            Attribute key = columns.get(g);
            schema = schema.add(key.name(), key.dataType(), key.nullable());
        }
        for (int f = 0; f < functions.size(); f++) {
            schema = schema.add(stateColumn(f), DataTypes.BinaryType, false);
        }
        return schema;
    }

    static String stateColumn(int function) {
        return "wavg_state_" + function;
    }

    /** For EXPLAIN: what the scan answers instead of returning rows. */
    public String describe() {
        String calls = functions.stream().map(f -> f.output().functionName() + "(" + columns.get(f.value()).name()
                + ", " + columns.get(f.weight()).name() + ")").collect(Collectors.joining(", ", "[", "]"));
        StringBuilder text = new StringBuilder("PushedAggregation: ").append(calls);
        if (groups.length > 0) {
            text.append(", GroupBy: ").append(java.util.Arrays.stream(groups).mapToObj(g -> columns.get(g).name())
                    .collect(Collectors.joining(", ", "[", "]")));
        }
        if (filter != null) {
            text.append(", Filter: ").append(filter.sql());
        }
        return text.toString();
    }
}
