package io.wavg.spark;

import java.util.List;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.errors.QueryCompilationErrors$;
import org.apache.spark.sql.internal.SQLConf;

import io.wavg.kernel.KernelChoice;
import io.wavg.spark.columnar.ColumnarWeightedAvgRule;
import io.wavg.spark.merge.HashMergeRule;
import io.wavg.spark.rows.RowPartialRule;
import io.wavg.spark.window.SlidingWindowRule;
import io.wavg.spark.source.PushDownWeightedAvg;
import io.wavg.spark.source.PushedAggregateStrategy;
import scala.Function1;
import scala.Tuple3;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * Registers weighted_avg and weighted_avg_stats in every session built with
 * {@code spark.sql.extensions=io.wavg.spark.WeightedAvgExtensions}.
 */
public final class WeightedAvgExtensions implements SparkSessionExtensionsProvider {

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        for (WeightedAvg.Output output : WeightedAvg.Output.values()) {
            extensions.injectFunction(new Tuple3<>(FunctionIdentifier.apply(output.functionName),
                    FunctionDocs.info(output), builder(output)));
        }
        // Spark applies the columnar rules' post-transition halves in the reverse order of injection:
        // the columnar partial aggregate first, then the row one for what it left on rows
        extensions.injectColumnar(SlidingWindowRule::new);
        extensions.injectColumnar(HashMergeRule::new);
        extensions.injectColumnar(RowPartialRule::new);
        extensions.injectColumnar(ColumnarWeightedAvgRule::new);
        extensions.injectPreCBORule(PushDownWeightedAvg::new); // after V2 scan pushdown has built the scan
        extensions.injectPlannerStrategy(session -> new PushedAggregateStrategy());
        return BoxedUnit.UNIT;
    }

    private static Function1<Seq<Expression>, Expression> builder(WeightedAvg.Output output) {
        return arguments -> {
            if (arguments.size() != 2) {
                throw WeightedAvgExtensions.<RuntimeException>rethrow(QueryCompilationErrors$.MODULE$.wrongNumArgsError(
                        output.functionName, CollectionConverters.asScala(List.<Object>of(2)).toSeq(),
                        arguments.size(), "", "", ""));
            }
            SQLConf conf = SQLConf.get();
            KernelChoice kernel = KernelChoice.of(conf.getConfString(KernelChoice.MODE_KEY, "auto"),
                    conf.getConfString(KernelChoice.LIBRARY_KEY, ""));
            return new WeightedAvg(arguments.apply(0), arguments.apply(1), output, kernel);
        };
    }

    /** Lets a Spark AnalysisException, a checked exception to Java, leave a Scala function unchanged. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException rethrow(Throwable error) throws T {
        throw (T) error;
    }
}
