package io.wavg.spark.columnar;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Partial$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.types.BinaryType$;
import org.apache.spark.sql.types.DoubleType$;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces the partial aggregation of weighted_avg over a columnar scan with
 * {@link ColumnarWeightedAvgExec}, which hands the scan's column vectors to the kernel a batch at a
 * time instead of turning them into rows first. Anything it does not recognise (grouping keys,
 * FILTER, DISTINCT, other aggregates, non-DOUBLE inputs, a filter or projection between scan and
 * aggregate) keeps Spark's row path, which gives the same bits.
 */
public final class ColumnarWeightedAvgRule extends ColumnarRule {
    /** Set to false to keep Spark's row path for every weighted_avg. */
    public static final String ENABLED_KEY = "spark.wavg.columnar.enabled";

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
                return Plans.replaceTopDown(plan, ColumnarWeightedAvgRule::replacement);
            }
        };
    }

    /** The columnar exec for a matching partial aggregate, or null. */
    private static SparkPlan replacement(SparkPlan plan) {
        if (!(plan instanceof BaseAggregateExec aggregate) || !aggregate.groupingExpressions().isEmpty()
                || !(aggregate.child() instanceof ColumnarToRowExec toRows)) {
            return null;
        }
        SparkPlan scan = toRows.child();
        List<Attribute> scanOutput = CollectionConverters.asJava(scan.output());
        List<WeightedAvg> functions = new ArrayList<>();
        List<Object> weightOrdinals = new ArrayList<>();
        List<Object> valueOrdinals = new ArrayList<>();
        for (AggregateExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            if (expression.mode() != Partial$.MODULE$ || expression.isDistinct() || expression.filter().isDefined()
                    || !(expression.aggregateFunction() instanceof WeightedAvg function)) {
                return null;
            }
            int weight = doubleColumn(function.weight(), scanOutput);
            int value = doubleColumn(function.value(), scanOutput);
            if (weight < 0 || value < 0) {
                return null;
            }
            functions.add(function);
            weightOrdinals.add(weight);
            valueOrdinals.add(value);
        }
        List<Attribute> output = CollectionConverters.asJava(aggregate.output());
        if (functions.isEmpty() || output.size() != functions.size()
                || !output.stream().allMatch(a -> a.dataType() == BinaryType$.MODULE$)) {
            return null;
        }
        return new ColumnarWeightedAvgExec(CollectionConverters.asScala(functions).toSeq(),
                CollectionConverters.asScala(weightOrdinals).toSeq(), CollectionConverters.asScala(valueOrdinals).toSeq(),
                aggregate.output(), scan);
    }

    /** The ordinal in the scan output of a DOUBLE column the expression reads directly, or -1. */
    private static int doubleColumn(Expression expression, List<Attribute> scanOutput) {
        if (!(expression instanceof AttributeReference reference) || reference.dataType() != DoubleType$.MODULE$) {
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
