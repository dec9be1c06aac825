package io.wavg.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Wrong argument types and counts fail while the query is analyzed, before any job runs. */
class AnalysisErrorTest {
    private static SparkSession spark;
    private static Dataset<Row> data;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.get();
        data = spark.sql("SELECT * FROM VALUES (1.0D, 2.0D, 'x', true) AS t(v, w, s, b)");
    }

    private static String analysisError(String query) {
        AnalysisException error = assertThrows(AnalysisException.class, () -> spark.sql(query));
        return error.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"weighted_avg", "weighted_avg_stats"})
    void stringValueIsRejectedNamingTheFunctionAndArgument(String function) {
        data.createOrReplaceTempView("typed");
        try {
            String message = analysisError("SELECT " + function + "(s, w) FROM typed");
            assertMentions(message, function + "(s, w)", "first", "\"s\"", "STRING", "NUMERIC");
            message = analysisError("SELECT " + function + "(v, 'heavy') FROM typed");
            assertMentions(message, function + "(v, heavy)", "second", "\"heavy\"", "STRING");
            message = analysisError("SELECT " + function + "(v, b) FROM typed");
            assertMentions(message, function, "\"b\"", "BOOLEAN");
        } finally {
            spark.catalog().dropTempView("typed");
        }
    }

    @Test
    void stringColumnIsRejectedInTheDataFrameApi() {
        AnalysisException error = assertThrows(AnalysisException.class,
                () -> data.agg(WeightedAvgFunctions.weightedAvg(col("s"), col("w"))));
        assertMentions(error.getMessage(), "weighted_avg", "\"s\"", "STRING");
    }

    @ParameterizedTest
    @ValueSource(strings = {"weighted_avg(v)", "weighted_avg(v, w, w)", "weighted_avg()",
            "weighted_avg_stats(v)", "weighted_avg_stats(v, w, v)"})
    void wrongArgumentCountIsRejectedNamingTheFunction(String call) {
        String function = call.substring(0, call.indexOf('('));
        String arguments = call.substring(call.indexOf('(') + 1, call.length() - 1);
        int count = arguments.isEmpty() ? 0 : arguments.split(",").length;
        String message = analysisError("SELECT " + call + " FROM VALUES (1.0D, 2.0D) AS t(v, w)");
        assertMentions(message, "`" + function + "`", "requires 2 parameters", "actual number is " + count);
    }

    @Test
    void wrongArgumentCountIsRejectedInTheDataFrameApi() {
        AnalysisException error = assertThrows(AnalysisException.class,
                () -> data.agg(org.apache.spark.sql.functions.call_function("weighted_avg", col("v"))));
        assertMentions(error.getMessage(), "`weighted_avg`", "requires 2 parameters", "actual number is 1");
    }
}
