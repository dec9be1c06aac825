package io.wavg.spark.window;

import static io.wavg.spark.Plans.seq;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.CurrentRow$;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.RowFrame$;
import org.apache.spark.sql.catalyst.expressions.SpecifiedWindowFrame;
import org.apache.spark.sql.catalyst.expressions.UnboundedPreceding$;
import org.apache.spark.sql.catalyst.expressions.WindowExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.window.WindowExec;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Replaces a window operator whose window functions are all weighted_avg over ROWS frames ending at
 * the current row with {@link SlidingWeightedAvgExec}; any other window (RANGE frames, frames ending
 * elsewhere, DISTINCT or FILTER, other functions beside) keeps Spark's operator.
 */
public final class SlidingWindowRule extends ColumnarRule {
    /** Set to false to keep Spark's window operator. */
    public static final String ENABLED_KEY = "spark.wavg.window.enabled";

    private final SparkSession session;

    public SlidingWindowRule(SparkSession session) {
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
                return Plans.replaceTopDown(plan, SlidingWindowRule::replacement);
            }
        };
    }

    private static SparkPlan replacement(SparkPlan plan) {
        if (!(plan instanceof WindowExec window)) {
            return null;
        }
        List<WeightedAvg> functions = new ArrayList<>();
        List<Object> preceding = new ArrayList<>();
        for (NamedExpression named : CollectionConverters.asJava(window.windowExpression())) {
            if (!(named instanceof Alias alias) || !(alias.child() instanceof WindowExpression expression)
                    || !(expression.windowFunction() instanceof AggregateExpression aggregate)
                    || aggregate.mode() != Complete$.MODULE$ || aggregate.isDistinct() || aggregate.filter().isDefined()
                    || !(aggregate.aggregateFunction() instanceof WeightedAvg function)
                    || !(expression.windowSpec().frameSpecification() instanceof SpecifiedWindowFrame frame)
                    || frame.frameType() != RowFrame$.MODULE$ || frame.upper() != CurrentRow$.MODULE$
                    || !expression.windowSpec().partitionSpec().equals(window.partitionSpec())) {
                return null;
            }
            int rows = preceding(frame.lower());
            if (rows == Integer.MIN_VALUE) {
                return null;
            }
            functions.add(function);
            preceding.add(rows);
        }
        return new SlidingWeightedAvgExec(window.windowExpression(), seq(functions), seq(preceding),
                window.partitionSpec(), window.orderSpec(), window.requiredChildDistribution(),
                window.requiredChildOrdering(), window.child());
    }

    /** Rows before the current one a frame's lower bound takes: -1 for all, MIN_VALUE if not a row count. */
    private static int preceding(Expression lower) {
        if (lower == UnboundedPreceding$.MODULE$) {
            return -1;
        }
        if (lower == CurrentRow$.MODULE$) {
            return 0;
        }
        if (!lower.foldable()) {
            return Integer.MIN_VALUE;
        }
        Object offset = lower.eval(null);
        if (!(offset instanceof Number number) || number.longValue() > 0 || number.longValue() < -(1 << 24)) {
            return Integer.MIN_VALUE; // a frame starting after the current row, or a ring too large to hold
        }
        return (int) -number.longValue();
    }
}
