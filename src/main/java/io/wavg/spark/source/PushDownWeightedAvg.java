package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.datasources.DataSourceStrategy$;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanRelation;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.NumericType;

import io.wavg.spark.MergeWeightedAvg;
import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pushes weighted_avg into a wavg_parquet scan. For
 * {@code Aggregate(keys, aggregates, [Project] [Filter] [Project] relation)} where the keys are columns
 * and every aggregate is a plain weighted_avg or weighted_avg_stats over numeric columns, the scan
 * itself computes one partial state per split and group, and the aggregate only merges those states.
 * Any other shape is left alone, so Spark's ordinary path answers it with the same bits.
 */
public final class PushDownWeightedAvg extends Rule<LogicalPlan> {
    /** Set to false to read rows and aggregate them in Spark instead. */
    public static final String ENABLED_KEY = "spark.wavg.pushdown.enabled";

    private final org.apache.spark.sql.SparkSession session;

    public PushDownWeightedAvg(org.apache.spark.sql.SparkSession session) {
        this.session = session;
    }

    @Override
    public LogicalPlan apply(LogicalPlan plan) {
        if (!Boolean.parseBoolean(session.conf().get(ENABLED_KEY, "true"))) {
            return plan;
        }
        return Plans.replaceTopDown(plan, node -> node instanceof Aggregate aggregate ? pushDown(aggregate) : null);
    }

    private static LogicalPlan pushDown(Aggregate aggregate) {
        LogicalPlan child = skipColumnProjection(aggregate.child());
        Expression condition = null;
        if (child instanceof Filter filter) {
            condition = filter.condition();
            child = skipColumnProjection(filter.child());
        }
        // this runs before Spark builds V2 scans, so the pushed scan is built here, pruned and filtered
        if (!(child instanceof DataSourceV2Relation relation) || !(relation.table() instanceof ParquetTable table)) {
            return null;
        }
        if (condition != null && !condition.deterministic()) {
            return null;
        }
        List<Attribute> columns = new ArrayList<>(CollectionConverters.asJava(relation.output()));
        List<Integer> groups = new ArrayList<>();
        for (Expression key : CollectionConverters.asJava(aggregate.groupingExpressions())) {
            int at = indexOf(key, columns);
            if (at < 0) {
                return null;
            }
            groups.add(at);
        }
        Map<WeightedAvg, Integer> calls = new LinkedHashMap<>();
        for (NamedExpression output : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            if (!collectCalls((Expression) output, columns, calls)) {
                return null;
            }
        }
        if (calls.isEmpty()) {
            return null;
        }
        List<PushedAggregation.Function> functions = new ArrayList<>();
        List<AttributeReference> states = new ArrayList<>();
        for (WeightedAvg call : calls.keySet()) {
            functions.add(new PushedAggregation.Function(indexOf(call.value(), columns), indexOf(call.weight(), columns),
                    call.output(), call.kernelChoice()));
            states.add(new AttributeReference(PushedAggregation.stateColumn(states.size()), DataTypes.BinaryType,
                    false, Metadata.empty(), NamedExpression$.MODULE$.newExprId(),
                    CollectionConverters.asScala(List.<String>of()).toSeq()));
        }
        List<Attribute> read = readColumns(columns, aggregate, condition);
        PushedAggregation aggregation = new PushedAggregation(read,
                groups.stream().mapToInt(g -> read.indexOf(columns.get(g))).toArray(), functions.stream().map(f -> new PushedAggregation.Function(read.indexOf(columns.get(f.value())),
                        read.indexOf(columns.get(f.weight())), f.output(), f.kernel())).toList(), condition);
        ParquetScanBuilder rows = (ParquetScanBuilder) table.newScanBuilder(relation.options());
        rows.pruneColumns(DataTypeUtils.fromAttributes(CollectionConverters.asScala(read).toSeq()));
        if (condition != null) {
            rows.pushFilters(sourceFilters(condition).toArray(new org.apache.spark.sql.sources.Filter[0]));
        }
        List<AttributeReference> output = new ArrayList<>();
        for (int g : aggregation.groups()) {
            output.add((AttributeReference) read.get(g));
        }
        output.addAll(states);
        DataSourceV2ScanRelation pushedRelation = new DataSourceV2ScanRelation(relation,
                new PushedAggregateScan((ParquetScan) rows.build(), table.files(), aggregation),
                CollectionConverters.asScala(output).toSeq(), Option.empty(), Option.empty(),
                CollectionConverters.asScala(List.<Expression>of()).toSeq());
        List<NamedExpression> merged = new ArrayList<>();
        for (NamedExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            merged.add((NamedExpression) mergeCalls((Expression) expression, calls, states));
        }
        return new Aggregate(aggregate.groupingExpressions(), CollectionConverters.asScala(merged).toSeq(),
                pushedRelation, aggregate.hint());
    }

    /** The columns a split must read: keys, function arguments and filter inputs, in table order. */
    private static List<Attribute> readColumns(List<Attribute> columns, Aggregate aggregate, Expression condition) {
        java.util.Set<org.apache.spark.sql.catalyst.expressions.ExprId> needed = new java.util.HashSet<>();
        for (Attribute a : CollectionConverters.asJava(aggregate.references().toSeq())) {
            needed.add(a.exprId());
        }
        if (condition != null) {
            for (Attribute a : CollectionConverters.asJava(condition.references().toSeq())) {
                needed.add(a.exprId());
            }
        }
        return columns.stream().filter(c -> needed.contains(c.exprId())).toList();
    }

    /** The conjuncts of a condition that data source filters can express, for row-group skipping. */
    private static List<org.apache.spark.sql.sources.Filter> sourceFilters(Expression condition) {
        if (condition instanceof org.apache.spark.sql.catalyst.expressions.And and) {
            List<org.apache.spark.sql.sources.Filter> both = new ArrayList<>(sourceFilters(and.left()));
            both.addAll(sourceFilters(and.right()));
            return both;
        }
        Option<org.apache.spark.sql.sources.Filter> filter = DataSourceStrategy$.MODULE$.translateFilter(condition, false);
        return filter.isDefined() ? List.of(filter.get()) : List.of();
    }

    /** Looks through a projection that only selects columns. */
    private static LogicalPlan skipColumnProjection(LogicalPlan plan) {
        if (plan instanceof Project project && CollectionConverters.asJava(project.projectList()).stream()
                .allMatch(e -> e instanceof AttributeReference)) {
            return project.child();
        }
        return plan;
    }

    /** Where a column reference stands among the columns; -1 for any other expression. */
    static int indexOf(Expression expression, List<Attribute> columns) {
        if (!(expression instanceof AttributeReference reference)) {
            return -1;
        }
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).exprId().equals(reference.exprId())) {
                return i;
            }
        }
        return -1;
    }

    /** Collects the weighted_avg calls; false if any aggregate cannot be pushed. */
    private static boolean collectCalls(Expression expression, List<Attribute> columns, Map<WeightedAvg, Integer> calls) {
        if (expression instanceof AggregateExpression aggregate) {
            if (aggregate.mode() != Complete$.MODULE$ || aggregate.isDistinct() || aggregate.filter().isDefined()
                    || !(aggregate.aggregateFunction() instanceof WeightedAvg call)
                    || !pushable(call.value(), columns) || !pushable(call.weight(), columns)) {
                return false;
            }
            calls.putIfAbsent(call, calls.size());
            return true;
        }
        for (Expression child : CollectionConverters.asJava(expression.children())) {
            if (!collectCalls(child, columns, calls)) {
                return false;
            }
        }
        return true;
    }

    private static boolean pushable(Expression argument, List<Attribute> columns) {
        return indexOf(argument, columns) >= 0 && argument.dataType() instanceof NumericType;
    }

    private static Expression mergeCalls(Expression expression, Map<WeightedAvg, Integer> calls,
                                         List<AttributeReference> states) {
        if (expression instanceof AggregateExpression aggregate
                && aggregate.aggregateFunction() instanceof WeightedAvg call) {
            MergeWeightedAvg merge = new MergeWeightedAvg(states.get(calls.get(call)), call.output(),
                    call.kernelChoice());
            return new AggregateExpression(merge, Complete$.MODULE$, false, Option.empty(), aggregate.resultId());
        }
        List<Expression> children = new ArrayList<>();
        for (Expression child : CollectionConverters.asJava(expression.children())) {
            children.add(mergeCalls(child, calls, states));
        }
        return expression.withNewChildren(CollectionConverters.asScala(children).toSeq());
    }
}
