package io.wavg.spark;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DataFrame ways to call the functions agree with SQL and with the exact reference. */
class DataFrameApiTest {
    @TempDir
    static Path dir;

    private static List<Row> rows;
    private static Dataset<Row> data;

    @BeforeAll
    static void writeParquet() {
        rows = TestData.adversarial(5, 10_000, 8);
        String path = dir.resolve("api").toString();
        TestData.frame(rows).repartition(3).write().parquet(path);
        data = SparkTestSession.get().read().parquet(path);
    }

    @Test
    void everyCallingStyleGivesTheExactResult() {
        Double exact = TestData.reference(rows).average();
        Row result = data.agg(
                WeightedAvgFunctions.weightedAvg(col("v"), col("w")),
                call_function("weighted_avg", col("v"), col("w")),
                expr("weighted_avg(v, w)"),
                WeightedAvgFunctions.weightedAvgStats(col("v"), col("w")),
                call_function("weighted_avg_stats", col("v"), col("w"))).first();
        for (int i = 0; i < 3; i++) {
            int column = i;
            assertTrue(TestData.sameBits(exact, result.get(i)),
                    () -> "column " + column + ": " + TestData.show(result.get(column)) + ", exact " + TestData.show(exact));
        }
        for (int i = 3; i < 5; i++) {
            Row stats = result.getStruct(i);
            assertTrue(TestData.sameBits(exact, stats.getAs("weighted_avg")));
            assertTrue(TestData.sameBits(TestData.reference(rows).totalWeight(), stats.getAs("total_weight")));
            assertEquals(TestData.reference(rows).pairs(), (long) stats.getAs("pairs"));
        }
        StructType type = (StructType) data.agg(WeightedAvgFunctions.weightedAvgStats(col("v"), col("w")))
                .schema().fields()[0].dataType();
        assertEquals(WeightedAvg.STATS_TYPE, type);
        assertEquals(DataTypes.DoubleType,
                data.agg(WeightedAvgFunctions.weightedAvg(col("v"), col("w"))).schema().fields()[0].dataType());
    }

    @Test
    void groupByMatchesSqlAndTheReference() {
        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        List<Row> api = data.groupBy("k")
                .agg(WeightedAvgFunctions.weightedAvg(col("v"), col("w")).as("a"), expr("weighted_avg(DISTINCT v, w)"))
                .orderBy("k").collectAsList();
        data.createOrReplaceTempView("api_data");
        List<Row> sql;
        try {
            sql = SparkTestSession.get()
                    .sql("SELECT k, weighted_avg(v, w), weighted_avg(DISTINCT v, w) FROM api_data GROUP BY k ORDER BY k")
                    .collectAsList();
        } finally {
            SparkTestSession.get().catalog().dropTempView("api_data");
        }
        assertEquals(sql, api);
        for (Row row : api) {
            Double expected = exact.get(row.getInt(0)).average();
            assertTrue(TestData.sameBits(expected, row.get(1)), () -> "group " + row.getInt(0));
        }
    }

    @Test
    void otherNumericColumnTypesAreConvertedToDouble() {
        // values beyond the FLOAT range would become infinities, which the reference does not handle
        Dataset<Row> typed = data.where("v IS NULL OR abs(v) < 1e30").select(col("v").cast("float").as("f"), col("w").cast("decimal(38,10)").as("d"),
                col("k").cast("byte").as("b"), col("k").cast("long").as("l"),
                col("k").cast("decimal(5,1)").as("kd"), col("k").cast("short").as("s"));
        Row result = typed.agg(
                WeightedAvgFunctions.weightedAvg(col("f"), col("d")),
                WeightedAvgFunctions.weightedAvg(col("b"), col("l")),
                WeightedAvgFunctions.weightedAvg(col("kd"), col("s"))).first();
        // the reference takes the typed values as Spark produced them, widened the way the spec says:
        // float exactly, decimal correctly rounded
        ExactReference converted = new ExactReference();
        ExactReference squares = new ExactReference();
        for (Row row : typed.collectAsList()) {
            Double f = row.isNullAt(0) ? null : (double) row.getFloat(0);
            Double d = row.isNullAt(1) ? null : row.getDecimal(1).doubleValue();
            converted.add(f, d);
            squares.add((double) row.getByte(2), (double) row.getLong(3));
        }
        assertTrue(TestData.sameBits(converted.average(), result.get(0)),
                () -> TestData.show(result.get(0)) + ", exact " + TestData.show(converted.average()));
        assertTrue(TestData.sameBits(squares.average(), result.get(1)));
        assertTrue(TestData.sameBits(squares.average(), result.get(2)));
    }

    @Test
    void windowThroughTheDataFrameApi() {
        List<Row> result = data.select(col("k"), WeightedAvgFunctions.weightedAvg(col("v"), col("w"))
                        .over(Window.partitionBy("k")).as("a"))
                .dropDuplicates().collectAsList();
        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        Map<Integer, Object> byKey = new HashMap<>();
        result.forEach(r -> byKey.put(r.getInt(0), r.get(1)));
        assertEquals(exact.keySet(), byKey.keySet());
        exact.forEach((k, reference) -> assertTrue(TestData.sameBits(reference.average(), byKey.get(k)), "group " + k));
    }
}
