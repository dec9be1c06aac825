package io.wavg.spark;

import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;

/**
 * What DESCRIBE FUNCTION EXTENDED shows for the functions this extension registers. Spark checks the
 * layout of these texts: sections open with a newline and four spaces and close with a newline and two.
 */
final class FunctionDocs {
    private FunctionDocs() {}

    private static final String ARGUMENTS = String.join("\n",
            "",
            "    Arguments:",
            "      * value - a numeric expression, converted to DOUBLE",
            "      * weight - a numeric expression, converted to DOUBLE",
            "  ");

    private static final String NOTE = String.join("\n",
            "",
            "    Exact: the sums of weight and of weight * value are kept without rounding, so the result",
            "    is the true weighted average correctly rounded to DOUBLE, with the same bits whatever the",
            "    partitioning, row order or kernel. Pairs with a NULL side are skipped; no pairs, or a total",
            "    weight of exactly 0, give NULL. A NaN input gives NaN; infinities follow IEEE rules.",
            "    DISTINCT applies to (value, weight) pairs: a repeated pair counts once.",
            "  ");

    static ExpressionInfo info(WeightedAvg.Output output) {
        String usage = switch (output) {
            case AVERAGE -> "_FUNC_(value, weight) - Returns sum(weight * value) / sum(weight) over the pairs "
                    + "where neither side is NULL, exact and correctly rounded.";
            case STATS -> "_FUNC_(value, weight) - Returns a struct of the exact weighted average "
                    + "(weighted_avg), the correctly rounded total weight (total_weight) and the number of "
                    + "non-NULL pairs (pairs).";
        };
        String examples = switch (output) {
            case AVERAGE -> String.join("\n",
                    "",
                    "    Examples:",
                    "      > SELECT _FUNC_(v, w) FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D) AS t(v, w);",
                    "       1.3333333333333333",
                    "      > SELECT _FUNC_(v, w) FROM VALUES (1.0D, 1e16D), (1.0D, 1.0D), (1.0D, -1e16D) AS t(v, w);",
                    "       1.0",
                    "  ");
            case STATS -> String.join("\n",
                    "",
                    "    Examples:",
                    "      > SELECT _FUNC_(v, w) FROM VALUES (2.0D, 10.0D), (1.0D, 20.0D) AS t(v, w);",
                    "       {\"weighted_avg\":1.3333333333333333,\"total_weight\":30.0,\"pairs\":2}",
                    "  ");
        };
        return new ExpressionInfo(WeightedAvg.class.getName(), null, output.functionName, usage, ARGUMENTS,
                examples, NOTE, "agg_funcs", "0.1.0", "", "java_udf");
    }
}
