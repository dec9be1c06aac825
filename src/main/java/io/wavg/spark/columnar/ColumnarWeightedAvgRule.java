package io.wavg.spark.columnar;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.KnownFloatingPointNormalized;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.optimizer.NormalizeNaNAndZero;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.DeclarativeAggregate;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.FilterExec;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.types.BinaryType$;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces the partial aggregation of weighted_avg over a columnar scan with
 * {@link ColumnarWeightedAvgExec}, which hands the scan's column vectors to the kernel a batch at a
 * time instead of turning them into rows first, or, with GROUP BY columns, with
 * {@link ColumnarGroupedWeightedAvgExec}, FILTER clauses included. A filter (WHERE) and a projection
 * between the scan and the aggregate come along: keys, arguments and FILTERs computed from the scan's
 * columns become computed columns of each batch ({@link ComputedColumns}). Anything it does not
 * recognise (FILTER without GROUP BY, DISTINCT, aggregates other than Spark's declarative ones with
 * fixed-width buffers ({@link OtherAggregates}) or these without GROUP BY, non-deterministic expressions,
 * non-numeric arguments, anything but a projection over a filter over the scan) is left to the row
 * path, which gives the same bits.
 */
public final class ColumnarWeightedAvgRule extends ColumnarRule {
    /** Set to false to keep Spark's row path for every weighted_avg. */
    public static final String ENABLED_KEY = "spark.wavg.columnar.enabled";
    /** Groups a task holds before it emits its partial results and starts afresh. */
    public static final String MAX_GROUPS_KEY = "spark.wavg.partialAggregation.maxGroups";
    private static final int DEFAULT_MAX_GROUPS = 1 << 20;

    private final SparkSession session;

    public ColumnarWeightedAvgRule(SparkSession session) {
        this.session = session;
    }

    @Override
    public Rule<SparkPlan> postColumnarTransitions() {
        return new Rule<>() {
            @Override
            public SparkPlan apply(SparkPlan plan) {
                if (!Boolean.parseBoolean(session.conf().get(ENABLED_KEY, "true"))) {
                    return plan;
                }
                int maxGroups = Integer.parseInt(session.conf().get(MAX_GROUPS_KEY, String.valueOf(DEFAULT_MAX_GROUPS)));
                return Plans.replaceTopDown(plan, p -> replacement(p, maxGroups));
            }
        };
    }

    /** The columnar exec for a matching partial aggregate, or null. */
    private static SparkPlan replacement(SparkPlan plan, int maxGroups) {
        if (!(plan instanceof BaseAggregateExec aggregate)) {
            return null;
        }
        SparkPlan below = aggregate.child();
        Map<ExprId, Expression> projected = new HashMap<>();
        if (below instanceof ProjectExec project) {
            for (NamedExpression named : CollectionConverters.asJava(project.projectList())) {
                Expression e = (Expression) named;
                if (!e.deterministic()) {
                    return null;
                }
                projected.put(named.exprId(), e instanceof Alias alias ? alias.child() : e);
            }
            below = project.child();
        }
        Expression condition = null;
        if (below instanceof FilterExec filter) {
            condition = filter.condition();
            below = filter.child();
        }
        if (!(below instanceof ColumnarToRowExec toRows)) {
            return null;
        }
        SparkPlan scan = toRows.child();
        List<Attribute> scanOutput = CollectionConverters.asJava(scan.output());
        if (condition != null && (!condition.deterministic() || !readsOnly(condition, scanOutput))) {
            return null;
        }
        Columns columns = new Columns(scanOutput, projected);
        List<WeightedAvg> functions = new ArrayList<>();
        List<Object> weightOrdinals = new ArrayList<>();
        List<Object> valueOrdinals = new ArrayList<>();
        List<Expression> filters = new ArrayList<>();
        List<Expression> others = new ArrayList<>();
        List<Object> order = new ArrayList<>();
        int stateColumns = 0;
        for (AggregateExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            if (expression.mode() != Partial$.MODULE$ || expression.isDistinct()) {
                return null;
            }
            if (expression.aggregateFunction() instanceof DeclarativeAggregate other) {
                // Spark's own aggregate beside ours, over the scan's columns, kept in fixed-width buffers
                Expression overScan = columns.overScan(other);
                if (expression.filter().isDefined() || !(overScan instanceof DeclarativeAggregate scanned)
                        || !OtherAggregates.supported(scanned)) {
                    return null;
                }
                order.add(-1 - others.size());
                others.add(scanned);
                stateColumns += scanned.aggBufferAttributes().size();
                continue;
            }
            if (!(expression.aggregateFunction() instanceof WeightedAvg function)) {
                return null;
            }
            order.add(functions.size());
            stateColumns++;
            Expression filter = expression.filter().isDefined()
                    ? columns.overScan(expression.filter().get()) : Literal.TrueLiteral();
            if (expression.filter().isDefined() && (aggregate.groupingExpressions().isEmpty()
                    || filter == null || !filter.deterministic())) {
                return null; // the global exec takes no FILTER
            }
            filters.add(filter);
            int weight = columns.numeric(function.weight());
            int value = columns.numeric(function.value());
            if (weight < 0 || value < 0) {
                return null;
            }
            functions.add(function);
            weightOrdinals.add(weight);
            valueOrdinals.add(value);
        }
        List<Attribute> output = CollectionConverters.asJava(aggregate.output());
        List<NamedExpression> grouping = CollectionConverters.asJava(aggregate.groupingExpressions());
        List<Object> keyOrdinals = new ArrayList<>();
        for (int k = 0; k < grouping.size(); k++) {
            int key = columns.ordinal(normalizedColumn(grouping.get(k)));
            if (key < 0 || k >= output.size() || !output.get(k).exprId().equals(grouping.get(k).exprId())) {
                return null;
            }
            keyOrdinals.add(key);
        }
        List<Attribute> states = output.subList(Math.min(grouping.size(), output.size()), output.size());
        if (functions.isEmpty() || states.size() != stateColumns || (!others.isEmpty() && grouping.isEmpty())) {
            return null; // the global exec takes none of Spark's aggregates beside
        }
        int column = 0;
        for (Object slot : order) {
            int at = (Integer) slot;
            if (at >= 0 && states.get(column).dataType() != BinaryType$.MODULE$) {
                return null;
            }
            column += at >= 0 ? 1 : ((DeclarativeAggregate) others.get(-1 - at)).aggBufferAttributes().size();
        }
        Seq<Expression> where = seq(condition == null ? List.of() : List.of(condition));
        if (grouping.isEmpty()) {
            return new ColumnarWeightedAvgExec(seq(functions), seq(weightOrdinals), seq(valueOrdinals), where,
                    seq(columns.computed), aggregate.output(), scan);
        }
        return new ColumnarGroupedWeightedAvgExec(seq(functions), seq(keyOrdinals), seq(weightOrdinals),
                seq(valueOrdinals), seq(filters), where, seq(columns.computed), seq(others), seq(order), maxGroups,
                aggregate.output(), scan);
    }

    /**
     * The columns the aggregation reads: the scan's, then expressions a projection computes from them,
     * each given the ordinal after the scan's columns it will have in the batches.
     */
    private static final class Columns {
        private final List<Attribute> scanOutput;
        private final Map<ExprId, Expression> projected;
        final List<Expression> computed = new ArrayList<>();

        Columns(List<Attribute> scanOutput, Map<ExprId, Expression> projected) {
            this.scanOutput = scanOutput;
            this.projected = projected;
        }

        /** The expression over the scan's columns, or null if it reads anything else. */
        Expression overScan(Expression expression) {
            Expression substituted = substitute(expression);
            return substituted != null && readsOnly(substituted, scanOutput) ? substituted : null;
        }

        private Expression substitute(Expression expression) {
            if (expression instanceof AttributeReference reference) {
                return projected.isEmpty() ? reference : projected.get(reference.exprId());
            }
            List<Expression> children = new ArrayList<>();
            for (Expression child : CollectionConverters.asJava(expression.children())) {
                Expression substituted = substitute(child);
                if (substituted == null) {
                    return null;
                }
                children.add(substituted);
            }
            return children.isEmpty() ? expression : expression.withNewChildren(seq(children));
        }

        /** The ordinal of a numeric argument, -1 if it cannot be read from the batches. */
        int numeric(Expression expression) {
            return VectorAccess.isNumeric(expression.dataType()) ? ordinal(expression) : -1;
        }

        /** The ordinal of a scan column or a computed one (added as needed), -1 if neither can be. */
        int ordinal(Expression expression) {
            Expression overScan = overScan(expression);
            if (overScan == null) {
                return -1;
            }
            int scanColumn = column(overScan, scanOutput);
            if (scanColumn >= 0) {
                return scanColumn;
            }
            if (!overScan.deterministic() || !ComputedColumns.writable(overScan.dataType())) {
                return -1;
            }
            int known = computed.indexOf(overScan);
            if (known < 0) {
                computed.add(overScan);
                known = computed.size() - 1;
            }
            return scanOutput.size() + known;
        }
    }

    /**
     * What a grouping key groups by: a floating-point key comes as an alias of the column wrapped in
     * Spark's NaN and -0.0 normalization, which the key codes do themselves.
     */
    private static Expression normalizedColumn(NamedExpression key) {
        Expression expression = key instanceof Alias alias ? alias.child() : (Expression) key;
        if (expression instanceof KnownFloatingPointNormalized known
                && known.child() instanceof NormalizeNaNAndZero normalize) {
            return normalize.child();
        }
        return expression;
    }

    /** Whether every column the expression reads is one of the scan's. */
    private static boolean readsOnly(Expression expression, List<Attribute> scanOutput) {
        return CollectionConverters.asJava(expression.references().toSeq()).stream()
                .allMatch(a -> column(a, scanOutput) >= 0);
    }

    /** The ordinal in the scan output of the column the expression is, or -1. */
    static int column(Expression expression, List<Attribute> scanOutput) {
        if (!(expression instanceof AttributeReference reference)) {
            return -1;
        }
        for (int i = 0; i < scanOutput.size(); i++) {
            if (scanOutput.get(i).exprId().equals(reference.exprId())) {
                return i;
            }
        }
        return -1;
    }
}
