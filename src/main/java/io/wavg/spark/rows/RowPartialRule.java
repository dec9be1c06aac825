package io.wavg.spark.rows;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.execution.aggregate.SortAggregateExec;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.types.BinaryType$;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces the partial aggregation of weighted_avg with GROUP BY that still runs on rows once the
 * columnar rule has taken what it can (a filter or computed keys or arguments below it, another source,
 * the distinct step of DISTINCT) with {@link RowGroupedWeightedAvgExec}. Only an aggregate of nothing
 * but weighted_avg functions is replaced; {@code spark.wavg.columnar.enabled=false} keeps Spark's plan,
 * and the columnar path's {@code spark.wavg.partialAggregation.maxGroups} bounds its groups too.
 */
public final class RowPartialRule extends ColumnarRule {
    private static final int DEFAULT_MAX_GROUPS = 1 << 20;

    private final SparkSession session;

    public RowPartialRule(SparkSession session) {
        this.session = session;
    }

    @Override
    public Rule<SparkPlan> postColumnarTransitions() {
        return new Rule<>() {
            @Override
            public SparkPlan apply(SparkPlan plan) {
                if (!Boolean.parseBoolean(session.conf().get(ColumnarWeightedAvgRule.ENABLED_KEY, "true"))) {
                    return plan;
                }
                int maxGroups = Integer.parseInt(session.conf().get(ColumnarWeightedAvgRule.MAX_GROUPS_KEY,
                        String.valueOf(DEFAULT_MAX_GROUPS)));
                return Plans.replaceTopDown(plan, p -> replacement(p, maxGroups));
            }
        };
    }

    private static SparkPlan replacement(SparkPlan plan, int maxGroups) {
        if (!(plan instanceof ObjectHashAggregateExec || plan instanceof SortAggregateExec)) {
            return null;
        }
        BaseAggregateExec aggregate = (BaseAggregateExec) plan;
        List<NamedExpression> grouping = CollectionConverters.asJava(aggregate.groupingExpressions());
        if (grouping.isEmpty()) {
            return null; // one buffer: nothing to sort, and an empty input must still give its row
        }
        List<WeightedAvg> functions = new ArrayList<>();
        List<Expression> filters = new ArrayList<>();
        // DISTINCT's partial step reads rows already made distinct below it: it aggregates them plainly
        for (AggregateExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            if (expression.mode() != Partial$.MODULE$ || !(expression.aggregateFunction() instanceof WeightedAvg f)) {
                return null;
            }
            functions.add(f);
            filters.add(expression.filter().isDefined() ? expression.filter().get() : Literal.TrueLiteral());
        }
        List<Attribute> output = CollectionConverters.asJava(aggregate.output());
        if (functions.isEmpty() || output.size() != grouping.size() + functions.size()) {
            return null;
        }
        for (int k = 0; k < grouping.size(); k++) {
            if (!output.get(k).exprId().equals(grouping.get(k).exprId())) {
                return null;
            }
        }
        for (Attribute state : output.subList(grouping.size(), output.size())) {
            if (state.dataType() != BinaryType$.MODULE$) {
                return null;
            }
        }
        return new RowGroupedWeightedAvgExec(aggregate.groupingExpressions(), seq(functions), seq(filters), maxGroups,
                aggregate.output(), aggregate.child());
    }
}
