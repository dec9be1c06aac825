package io.wavg.spark.source;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Final$;
import org.apache.spark.sql.catalyst.planning.PhysicalAggregation$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanRelation;
import org.apache.spark.sql.internal.SQLConf;

import io.wavg.spark.MergeWeightedAvg;
import scala.Option;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Plans the aggregate over a pushed scan, which already emits one partial state per group and task,
 * exactly what Spark's partial aggregate would make, so that step (which with many groups falls back
 * to sorting every row it gets) is left out. With GROUP BY the states are shuffled by key and merged
 * once; without, {@link PushedGlobalAggregateExec} merges them.
 */
public final class PushedAggregateStrategy extends SparkStrategy {

    @Override
    public Seq<SparkPlan> apply(LogicalPlan plan) {
        if (!(plan instanceof Aggregate aggregate)
                || !(aggregate.child() instanceof DataSourceV2ScanRelation relation)
                || !(relation.scan() instanceof PushedAggregateScan)) {
            return none();
        }
        Option<Tuple4<Seq<NamedExpression>, Seq<AggregateExpression>, Seq<NamedExpression>, LogicalPlan>> parts =
                PhysicalAggregation$.MODULE$.unapply(aggregate);
        if (parts.isEmpty()) {
            return none();
        }
        List<NamedExpression> grouping = CollectionConverters.asJava(parts.get()._1());
        List<AggregateExpression> aggregates = CollectionConverters.asJava(parts.get()._2());
        for (AggregateExpression call : aggregates) {
            if (!(call.aggregateFunction() instanceof MergeWeightedAvg merge) || call.isDistinct()
                    || call.filter().isDefined() || !(merge.children().head() instanceof Attribute)) {
                return none();
            }
        }
        if (grouping.isEmpty()) {
            return seq(List.of(new PushedGlobalAggregateExec(parts.get()._2(), parts.get()._3(), planLater(relation))));
        }
        if (!SQLConf.get().useObjectHashAggregation()) {
            return none();
        }
        List<NamedExpression> childColumns = new ArrayList<>();
        List<Attribute> groupingAttributes = new ArrayList<>();
        for (NamedExpression key : grouping) {
            if (!(key instanceof Attribute attribute)) {
                return none();
            }
            groupingAttributes.add(attribute);
            childColumns.add(attribute);
        }
        // in Final mode each merge reads the state at its position after the keys, so order them so
        List<AggregateExpression> merges = new ArrayList<>();
        List<Attribute> mergeResults = new ArrayList<>();
        for (AggregateExpression call : aggregates) {
            MergeWeightedAvg merge = (MergeWeightedAvg) call.aggregateFunction();
            childColumns.add((Attribute) merge.children().head());
            AggregateExpression merged = new AggregateExpression(merge, Final$.MODULE$, false, Option.empty(),
                    call.resultId());
            merges.add(merged);
            mergeResults.add(merged.resultAttribute());
        }
        SparkPlan scan = planLater(relation);
        SparkPlan states = childColumns.equals(CollectionConverters.asJava(relation.output())) ? scan
                : new ProjectExec(seq(childColumns), scan);
        Seq<Expression> distribution = seq(new ArrayList<Expression>(groupingAttributes));
        return seq(List.of(new ObjectHashAggregateExec(Option.apply(distribution), false, Option.empty(),
                seq(new ArrayList<NamedExpression>(groupingAttributes)), seq(merges), seq(mergeResults),
                grouping.size(), parts.get()._3(), states)));
    }

    private static Seq<SparkPlan> none() {
        return seq(List.of());
    }
}
