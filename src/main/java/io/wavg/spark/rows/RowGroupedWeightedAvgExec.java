package io.wavg.spark.rows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;

import io.wavg.spark.WeightedAvg;
import io.wavg.spark.columnar.ColumnarGroupedWeightedAvgExec;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Partial aggregation of weighted_avg with GROUP BY over rows (any source, a filter or computed keys
 * and arguments below it): keys and arguments are evaluated by code-generated projections, groups are
 * found by hashing the key's bytes, and the pairs go to compact exact per-group sums. It emits what
 * Spark's partial aggregate would (the keys, then each function's serialized state) without the sort
 * an object-state aggregate falls back to past a few groups (see {@link RowPartialAggregation}).
 */
public final class RowGroupedWeightedAvgExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<NamedExpression> groupingExpressions;
    private final Seq<WeightedAvg> functions;
    private final Seq<Expression> filters; // each function's FILTER (WHERE …), TRUE for none
    private final int maxGroups;
    private final Seq<Attribute> output;
    private final SparkPlan child;
    private final Map<String, SQLMetric> metrics;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public RowGroupedWeightedAvgExec(Seq<NamedExpression> groupingExpressions, Seq<WeightedAvg> functions,
                                     Seq<Expression> filters, int maxGroups, Seq<Attribute> output, SparkPlan child) {
        this.groupingExpressions = groupingExpressions;
        this.functions = functions;
        this.filters = filters;
        this.maxGroups = maxGroups;
        this.output = output;
        this.child = child;
        SparkContext context = child.sparkContext();
        this.metrics = Map.of(
                "numOutputRows", SQLMetrics.createMetric(context, "number of output rows"),
                "rowsAggregated", SQLMetrics.createMetric(context, "rows aggregated"),
                "flushes", SQLMetrics.createMetric(context, "partial results emitted early (maxGroups or memory)"),
                "aggregationTime", SQLMetrics.createNanoTimingMetric(context, "time aggregating", -1L));
    }

    @Override
    public Seq<Attribute> output() {
        return output;
    }

    /** The partial-state columns come from here, not from the child. */
    @Override
    public AttributeSet producedAttributes() {
        return outputSet();
    }

    @Override
    public String simpleString(int maxFields) {
        List<Expression> filterList = CollectionConverters.asJava(filters);
        return "RowGroupedWeightedAvg keys=" + groupingExpressions.mkString("[", ", ", "]")
                + ", functions=" + CollectionConverters.asJava(functions).stream().map(f -> "partial_" + f.sql()).toList()
                + (filterList.stream().allMatch(ColumnarGroupedWeightedAvgExec::none) ? ""
                        : ", filters=" + filterList.stream().map(Expression::sql).toList())
                + ", maxGroups=" + maxGroups + ", output=" + output.mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new RowGroupedWeightedAvgExec(groupingExpressions, functions, filters, maxGroups, output,
                children.apply(0));
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(metrics));
    }

    @Override
    @SuppressWarnings("unchecked")
    public RDD<InternalRow> doExecute() {
        List<Expression> predicates = new ArrayList<>();
        for (Expression filter : CollectionConverters.asJava(filters)) {
            predicates.add(ColumnarGroupedWeightedAvgExec.none(filter) ? null : filter);
        }
        RowPartialAggregation aggregation = new RowPartialAggregation(
                (Seq<Expression>) (Seq<?>) groupingExpressions, new Arguments(CollectionConverters.asJava(functions)),
                predicates, child.output(), maxGroups, DataTypeUtils.fromAttributes(output), metrics);
        return child.execute().toJavaRDD().mapPartitions(aggregation::aggregate).rdd();
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 6;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> groupingExpressions;
            case 1 -> functions;
            case 2 -> filters;
            case 3 -> maxGroups;
            case 4 -> output;
            case 5 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof RowGroupedWeightedAvgExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RowGroupedWeightedAvgExec o && groupingExpressions.equals(o.groupingExpressions)
                && functions.equals(o.functions) && filters.equals(o.filters) && maxGroups == o.maxGroups
                && output.equals(o.output) && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupingExpressions, functions, filters, maxGroups, output, child);
    }
}
