package io.wavg.spark.merge;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Final$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.ObjectHashAggregateExec;
import org.apache.spark.sql.types.BinaryType$;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedSumAggregate;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces the final, after-shuffle aggregation of weighted_avg states with GROUP BY, which Spark runs
 * as an object-state aggregate that sorts every row once a task meets more than a few groups, with
 * {@link HashMergeExec}. Only a final aggregate of nothing but this extension's functions is replaced;
 * anything else (other aggregates beside them, no GROUP BY) keeps Spark's plan.
 */
public final class HashMergeRule extends ColumnarRule {
    /** Set to false to keep Spark's final aggregate. */
    public static final String ENABLED_KEY = "spark.wavg.hashMerge.enabled";
    /** Groups a task's final merge holds before it hands them to the sorter; memory bounds it too. */
    public static final String MAX_GROUPS_KEY = "spark.wavg.hashMerge.maxGroups";

    private final SparkSession session;

    public HashMergeRule(SparkSession session) {
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
                int maxGroups = Integer.parseInt(session.conf().get(MAX_GROUPS_KEY,
                        String.valueOf(Integer.MAX_VALUE)));
                return Plans.replaceTopDown(plan, p -> replacement(p, maxGroups));
            }
        };
    }

    private static SparkPlan replacement(SparkPlan plan, int maxGroups) {
        if (!(plan instanceof ObjectHashAggregateExec aggregate) || aggregate.groupingExpressions().isEmpty()) {
            return null;
        }
        List<Attribute> input = CollectionConverters.asJava(aggregate.child().output());
        List<WeightedSumAggregate> functions = new ArrayList<>();
        List<Object> stateOrdinals = new ArrayList<>();
        // in Final mode the states are read by position: each function's one after the keys, in order
        int ordinal = aggregate.initialInputBufferOffset();
        for (AggregateExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            // DISTINCT's final step merges states of rows made distinct below: a plain merge
            if (expression.mode() != Final$.MODULE$
                    || !(expression.aggregateFunction() instanceof WeightedSumAggregate function)
                    || function.aggBufferAttributes().size() != 1 || ordinal >= input.size()
                    || input.get(ordinal).dataType() != BinaryType$.MODULE$) {
                return null;
            }
            functions.add(function);
            stateOrdinals.add(ordinal++);
        }
        if (functions.isEmpty()) {
            return null;
        }
        return new HashMergeExec(aggregate.groupingExpressions(), seq(functions), seq(stateOrdinals),
                aggregate.aggregateAttributes(), aggregate.resultExpressions(), aggregate.requiredChildDistribution(),
                maxGroups, aggregate.child());
    }
}
