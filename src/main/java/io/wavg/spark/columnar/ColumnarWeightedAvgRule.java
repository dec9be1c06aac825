package io.wavg.spark.columnar;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.KnownFloatingPointNormalized;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.optimizer.NormalizeNaNAndZero;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.types.BinaryType$;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces the partial aggregation of weighted_avg over a columnar scan with
 * {@link ColumnarWeightedAvgExec}, which hands the scan's column vectors to the kernel a batch at a
 * time instead of turning them into rows first, or, with GROUP BY columns, with
 * {@link ColumnarGroupedWeightedAvgExec}, FILTER clauses included. Anything it does not recognise
 * (FILTER without GROUP BY, DISTINCT, other aggregates, arguments, keys or filters over anything but
 * the scan's columns, non-numeric arguments, a filter or a computed projection between scan and
 * aggregate) keeps Spark's row path, which gives the same bits.
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
        if (below instanceof ProjectExec project && project.projectList().forall(e -> e instanceof Attribute)) {
            below = project.child(); // column pruning only, as over a partitioned table's scan
        }
        if (!(below instanceof ColumnarToRowExec toRows)) {
            return null;
        }
        SparkPlan scan = toRows.child();
        List<Attribute> scanOutput = CollectionConverters.asJava(scan.output());
        List<WeightedAvg> functions = new ArrayList<>();
        List<Object> weightOrdinals = new ArrayList<>();
        List<Object> valueOrdinals = new ArrayList<>();
        List<Expression> filters = new ArrayList<>();
        for (AggregateExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            if (expression.mode() != Partial$.MODULE$ || expression.isDistinct()
                    || !(expression.aggregateFunction() instanceof WeightedAvg function)) {
                return null;
            }
            Expression filter = expression.filter().isDefined() ? expression.filter().get() : Literal.TrueLiteral();
            if (expression.filter().isDefined() && (aggregate.groupingExpressions().isEmpty()
                    || !readsOnly(filter, scanOutput))) {
                return null; // the global exec takes no FILTER; a filter over computed columns needs rows
            }
            filters.add(filter);
            int weight = numericColumn(function.weight(), scanOutput);
            int value = numericColumn(function.value(), scanOutput);
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
            int key = column(normalizedColumn(grouping.get(k)), scanOutput);
            if (key < 0 || k >= output.size() || !output.get(k).exprId().equals(grouping.get(k).exprId())) {
                return null;
            }
            keyOrdinals.add(key);
        }
        List<Attribute> states = output.subList(Math.min(grouping.size(), output.size()), output.size());
        if (functions.isEmpty() || states.size() != functions.size()
                || !states.stream().allMatch(a -> a.dataType() == BinaryType$.MODULE$)) {
            return null;
        }
        if (grouping.isEmpty()) {
            return new ColumnarWeightedAvgExec(seq(functions), seq(weightOrdinals), seq(valueOrdinals),
                    aggregate.output(), scan);
        }
        return new ColumnarGroupedWeightedAvgExec(seq(functions), seq(keyOrdinals), seq(weightOrdinals),
                seq(valueOrdinals), seq(filters), maxGroups, aggregate.output(), scan);
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

    /** The ordinal in the scan output of a numeric column the expression reads directly, or -1. */
    private static int numericColumn(Expression expression, List<Attribute> scanOutput) {
        return VectorAccess.isNumeric(expression.dataType()) ? column(expression, scanOutput) : -1;
    }

    /** The ordinal in the scan output of the column the expression is, or -1. */
    private static int column(Expression expression, List<Attribute> scanOutput) {
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
