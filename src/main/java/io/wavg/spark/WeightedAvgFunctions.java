package io.wavg.spark;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;

/** DataFrame helpers; the session needs {@link WeightedAvgExtensions} in spark.sql.extensions. */
public final class WeightedAvgFunctions {
    private WeightedAvgFunctions() {}

    /** weighted_avg(value, weight): DOUBLE. */
    public static Column weightedAvg(Column value, Column weight) {
        return functions.call_function("weighted_avg", value, weight);
    }

    /** weighted_avg_stats(value, weight): STRUCT&lt;weighted_avg, total_weight, pairs&gt;. */
    public static Column weightedAvgStats(Column value, Column weight) {
        return functions.call_function("weighted_avg_stats", value, weight);
    }
}
