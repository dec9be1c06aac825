package io.wavg.spark.window;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.plans.physical.Distribution;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import io.wavg.spark.rows.Arguments;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * weighted_avg over ROWS frames that end at the current row ({@code n PRECEDING} or {@code UNBOUNDED
 * PRECEDING}): each frame's exact sums come from the previous frame's, the entering pair added and the
 * leaving one taken away, both exactly, instead of the frame being summed afresh for every row as
 * Spark's window operator does for an aggregate it cannot invert. Exact sums make the result the same
 * bits as summing the frame (see {@link SlidingFrames}). Takes the place of a WindowExec whose window
 * functions are all such weighted_avg, with its partitioning and ordering.
 */
public final class SlidingWeightedAvgExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<NamedExpression> windowExpression;
    private final Seq<WeightedAvg> functions;
    private final Seq<Object> preceding;     // per function: rows before the current one, -1 for all
    private final Seq<Expression> partitionSpec;
    private final Seq<SortOrder> orderSpec;
    private final Seq<Distribution> childDistribution;
    private final Seq<Seq<SortOrder>> childOrdering;
    private final SparkPlan child;
    private final Map<String, SQLMetric> metrics;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public SlidingWeightedAvgExec(Seq<NamedExpression> windowExpression, Seq<WeightedAvg> functions,
                                  Seq<Object> preceding, Seq<Expression> partitionSpec, Seq<SortOrder> orderSpec,
                                  Seq<Distribution> childDistribution, Seq<Seq<SortOrder>> childOrdering,
                                  SparkPlan child) {
        this.windowExpression = windowExpression;
        this.functions = functions;
        this.preceding = preceding;
        this.partitionSpec = partitionSpec;
        this.orderSpec = orderSpec;
        this.childDistribution = childDistribution;
        this.childOrdering = childOrdering;
        this.child = child;
        SparkContext context = child.sparkContext();
        this.metrics = Map.of(
                "numOutputRows", SQLMetrics.createMetric(context, "number of output rows"),
                "framesSummedAfresh", SQLMetrics.createMetric(context,
                        "frames summed afresh (a pair a product cannot split exactly)"));
    }

    @Override
    public Seq<Attribute> output() {
        List<Attribute> output = new java.util.ArrayList<>(CollectionConverters.asJava(child.output()));
        CollectionConverters.asJava(windowExpression).forEach(e -> output.add(e.toAttribute()));
        return Plans.seq(output);
    }

    @Override
    public Seq<Distribution> requiredChildDistribution() {
        return childDistribution;
    }

    @Override
    public Seq<Seq<SortOrder>> requiredChildOrdering() {
        return childOrdering;
    }

    @Override
    public Seq<SortOrder> outputOrdering() {
        return child.outputOrdering();
    }

    @Override
    public Partitioning outputPartitioning() {
        return child.outputPartitioning();
    }

    @Override
    public String simpleString(int maxFields) {
        return "SlidingWeightedAvg " + windowExpression.mkString("[", ", ", "]")
                + ", partition=" + partitionSpec.mkString("[", ", ", "]")
                + ", order=" + orderSpec.mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new SlidingWeightedAvgExec(windowExpression, functions, preceding, partitionSpec, orderSpec,
                childDistribution, childOrdering, children.apply(0));
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(metrics));
    }

    @Override
    public RDD<InternalRow> doExecute() {
        List<WeightedAvg> list = CollectionConverters.asJava(functions);
        SlidingFrames frames = new SlidingFrames(partitionSpec, new Arguments(list),
                list.stream().map(WeightedAvg::output).toList(), Plans.ints(preceding), child.output(),
                DataTypeUtils.fromAttributes(output()), metrics);
        return child.execute().toJavaRDD().mapPartitions((Iterator<InternalRow> rows) -> frames.apply(rows)).rdd();
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 8;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> windowExpression;
            case 1 -> functions;
            case 2 -> preceding;
            case 3 -> partitionSpec;
            case 4 -> orderSpec;
            case 5 -> childDistribution;
            case 6 -> childOrdering;
            case 7 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof SlidingWeightedAvgExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SlidingWeightedAvgExec o && windowExpression.equals(o.windowExpression)
                && functions.equals(o.functions) && preceding.equals(o.preceding)
                && partitionSpec.equals(o.partitionSpec) && orderSpec.equals(o.orderSpec)
                && childDistribution.equals(o.childDistribution) && childOrdering.equals(o.childOrdering)
                && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(windowExpression, functions, preceding, partitionSpec, orderSpec, childDistribution,
                childOrdering, child);
    }
}
