package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GROUP BY over 100,000 keys from Parquet, every group checked against the exact reference. So many
 * keys push ObjectHashAggregate past its hash-map threshold into sort-based aggregation, where
 * buffers are serialized and merged mid-partition.
 */
class ManyGroupsTest {
    private static final int KEYS = 100_000;

    @TempDir
    Path dir;

    @Test
    void everyGroupIsExact() {
        Random random = new Random(7);
        List<Row> rows = new ArrayList<>();
        for (int k = 0; k < KEYS; k++) {
            switch (k % 1000) {
                case 0 -> { // no complete pair: NULL
                    rows.add(TestData.row(k, null, 1.0));
                    rows.add(TestData.row(k, 2.0, null));
                }
                case 1 -> { // total weight exactly 0: NULL
                    rows.add(TestData.row(k, 3.0, 2.5));
                    rows.add(TestData.row(k, -7.0, -2.5));
                }
                case 2 -> { // NaN
                    rows.add(TestData.row(k, Double.NaN, 1.0));
                    rows.add(TestData.row(k, 1.0, 1.0));
                }
                case 3 -> { // cancellation that a rounding sum gets wrong
                    rows.add(TestData.row(k, 1.0, 1e16));
                    rows.add(TestData.row(k, 1.0, 1.0));
                    rows.add(TestData.row(k, 1.0, -1e16));
                }
                default -> {
                    for (int i = 1 + random.nextInt(5); i > 0; i--) {
                        Double v = random.nextInt(50) == 0 ? null : TestData.ordinaryValue(random);
                        rows.add(TestData.row(k, v, TestData.ordinaryWeight(random)));
                    }
                }
            }
        }
        Collections.shuffle(rows, random);
        String path = dir.resolve("groups").toString();
        TestData.frame(rows).repartition(3).write().parquet(path);
        SparkTestSession.get().read().parquet(path).createOrReplaceTempView("many_groups");
        List<Row> result;
        try {
            result = SparkTestSession.get().sql(
                    "SELECT k, weighted_avg(v, w), weighted_avg_stats(v, w) FROM many_groups GROUP BY k")
                    .collectAsList();
        } finally {
            SparkTestSession.get().catalog().dropTempView("many_groups");
        }

        Map<Integer, ExactReference> exact = TestData.referenceByGroup(rows);
        assertEquals(KEYS, result.size());
        for (Row row : result) {
            int k = row.getInt(0);
            ExactReference expected = exact.get(k);
            Row stats = row.getStruct(2);
            assertTrue(TestData.sameBits(expected.average(), row.get(1)), () -> "group " + k + ": weighted_avg "
                    + TestData.show(row.get(1)) + ", exact " + TestData.show(expected.average()));
            assertTrue(TestData.sameBits(expected.average(), stats.get(0)), () -> "group " + k);
            assertTrue(TestData.sameBits(expected.totalWeight(), stats.get(1)), () -> "group " + k
                    + ": total_weight " + TestData.show(stats.get(1)));
            assertEquals(expected.pairs(), stats.getLong(2), () -> "group " + k);
        }
        // the special groups came out as the spec says, not merely as the reference says
        Map<Integer, Row> byKey = new java.util.HashMap<>();
        result.forEach(r -> byKey.put(r.getInt(0), r));
        assertNull(byKey.get(5000).get(1));
        assertEquals(0L, byKey.get(5000).getStruct(2).getLong(2));
        assertNull(byKey.get(5001).get(1));
        assertEquals(0.0, byKey.get(5001).getStruct(2).getDouble(1));
        assertTrue(Double.isNaN(byKey.get(5002).getDouble(1)));
        assertEquals(1.0, byKey.get(5003).getDouble(1));
    }
}
