package io.wavg.spark.merge;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.spark.SparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.physical.Distribution;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedSumAggregate;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The final aggregation of weighted_avg states after the shuffle, by hash: each task merges the
 * serialized states of a group into one exact sum found through Spark's {@code BytesToBytesMap} on the
 * key's bytes, instead of sorting every row as an object-state aggregate does past a few groups. When
 * the task's memory runs short, or it holds {@code maxGroups} groups, the groups held go, as (key,
 * serialized state) rows, to Spark's external sorter, which spills them to disk; the merge then ends
 * in key order (see {@link HashMerge}).
 */
public final class HashMergeExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<NamedExpression> groupingExpressions;
    private final Seq<WeightedSumAggregate> functions;
    private final Seq<Object> stateOrdinals;      // column of each function's serialized state in the child
    private final Seq<Attribute> aggregateAttributes;
    private final Seq<NamedExpression> resultExpressions;
    private final Seq<Distribution> childDistribution;
    private final int maxGroups;
    private final SparkPlan child;
    private final Map<String, SQLMetric> metrics;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public HashMergeExec(Seq<NamedExpression> groupingExpressions, Seq<WeightedSumAggregate> functions,
                         Seq<Object> stateOrdinals, Seq<Attribute> aggregateAttributes,
                         Seq<NamedExpression> resultExpressions, Seq<Distribution> childDistribution,
                         int maxGroups, SparkPlan child) {
        this.groupingExpressions = groupingExpressions;
        this.functions = functions;
        this.stateOrdinals = stateOrdinals;
        this.aggregateAttributes = aggregateAttributes;
        this.resultExpressions = resultExpressions;
        this.childDistribution = childDistribution;
        this.maxGroups = maxGroups;
        this.child = child;
        SparkContext context = child.sparkContext();
        this.metrics = Map.of(
                "numOutputRows", SQLMetrics.createMetric(context, "number of output rows"),
                "statesMerged", SQLMetrics.createMetric(context, "states merged"),
                "spills", SQLMetrics.createMetric(context, "times the groups held went to the sorter"),
                "spillSize", SQLMetrics.createSizeMetric(context, "spill size", -1L),
                "peakMemory", SQLMetrics.createSizeMetric(context, "peak memory", -1L));
    }

    @Override
    public Seq<Attribute> output() {
        return Plans.seq(CollectionConverters.asJava(resultExpressions).stream()
                .map(NamedExpression::toAttribute).toList());
    }

    @Override
    public Seq<Distribution> requiredChildDistribution() {
        return childDistribution;
    }

    @Override
    public Partitioning outputPartitioning() {
        return child.outputPartitioning();
    }

    @Override
    public String simpleString(int maxFields) {
        return "HashMergeWeightedAvg keys=" + groupingExpressions.mkString("[", ", ", "]")
                + ", functions=" + CollectionConverters.asJava(functions).stream().map(f -> f.sql()).toList()
                + (maxGroups == Integer.MAX_VALUE ? "" : ", maxGroups=" + maxGroups)
                + ", output=" + output().mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new HashMergeExec(groupingExpressions, functions, stateOrdinals, aggregateAttributes,
                resultExpressions, childDistribution, maxGroups, children.apply(0));
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(metrics));
    }

    @Override
    public RDD<InternalRow> doExecute() {
        HashMerge merge = new HashMerge(groupingExpressions, child.output(),
                CollectionConverters.asJava(functions).stream().map(WeightedSumAggregate::output).toList(),
                Plans.ints(stateOrdinals), aggregateAttributes, resultExpressions, maxGroups, metrics);
        return child.execute().toJavaRDD().mapPartitions(merge::merge).rdd();
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 8;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> groupingExpressions;
            case 1 -> functions;
            case 2 -> stateOrdinals;
            case 3 -> aggregateAttributes;
            case 4 -> resultExpressions;
            case 5 -> childDistribution;
            case 6 -> maxGroups;
            case 7 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof HashMergeExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HashMergeExec o && groupingExpressions.equals(o.groupingExpressions)
                && functions.equals(o.functions) && stateOrdinals.equals(o.stateOrdinals)
                && aggregateAttributes.equals(o.aggregateAttributes) && resultExpressions.equals(o.resultExpressions)
                && childDistribution.equals(o.childDistribution) && maxGroups == o.maxGroups && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(groupingExpressions, functions, stateOrdinals, aggregateAttributes, resultExpressions,
                childDistribution, maxGroups, child);
    }
}
