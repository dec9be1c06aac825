package io.wavg.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Generated (k, v, w) rows and their exact references; every generator is seeded, so runs repeat. */
final class TestData {
    /** k: group, v: value, w: weight. */
    static final StructType KVW = new StructType()
            .add("k", DataTypes.IntegerType, false)
            .add("v", DataTypes.DoubleType, true)
            .add("w", DataTypes.DoubleType, true);

    private TestData() {}

    static Row row(int k, Double v, Double w) {
        return RowFactory.create(k, v, w);
    }

    static Dataset<Row> frame(List<Row> rows) {
        return SparkTestSession.get().createDataFrame(rows, KVW);
    }

    /**
     * Rows that make a rounding sum(v * w) / sum(w) depend on order: pairs of equal values with huge
     * weights of opposite signs, which cancel exactly, beside ordinary pairs whose small weights such
     * a sum loses; also huge values with tiny weights and some NULL sides. A cancelling pair stays in
     * one group; rows are shuffled so that files and partitions split pairs apart.
     */
    static List<Row> adversarial(long seed, int rows, int groups) {
        Random random = new Random(seed);
        List<Row> out = new ArrayList<>(rows + 1);
        while (out.size() < rows) {
            int k = random.nextInt(groups);
            int kind = random.nextInt(100);
            if (kind < 2) {
                out.add(row(k, null, ordinaryWeight(random)));
            } else if (kind < 4) {
                out.add(row(k, ordinaryValue(random), null));
            } else if (kind < 24) {
                double weight = Math.scalb(1 + random.nextDouble(), 40 + random.nextInt(30));
                double value = (random.nextBoolean() ? 1 : -1) * Math.scalb(1 + random.nextDouble(), random.nextInt(200) - 100);
                out.add(row(k, value, weight));
                out.add(row(k, value, -weight));
            } else if (kind < 26) {
                double value = (random.nextBoolean() ? 1 : -1) * Math.scalb(1 + random.nextDouble(), 200 + random.nextInt(100));
                out.add(row(k, value, Math.scalb(1 + random.nextDouble(), -250 - random.nextInt(50))));
            } else {
                out.add(row(k, ordinaryValue(random), ordinaryWeight(random)));
            }
        }
        Collections.shuffle(out, random);
        return out;
    }

    /** Values of either sign over about a dozen decimal orders of magnitude. */
    static double ordinaryValue(Random random) {
        return (2 * random.nextDouble() - 1) * Math.scalb(1.0, random.nextInt(41) - 20);
    }

    /** Positive weights over about six decimal orders of magnitude. */
    static double ordinaryWeight(Random random) {
        return Math.scalb(random.nextDouble() + 0x1p-20, random.nextInt(21) - 10);
    }

    /** The exact reference of all rows, ignoring k. */
    static ExactReference reference(List<Row> rows) {
        ExactReference reference = new ExactReference();
        for (Row row : rows) {
            reference.add(value(row), weight(row));
        }
        return reference;
    }

    /** The exact reference of each group. */
    static Map<Integer, ExactReference> referenceByGroup(List<Row> rows) {
        Map<Integer, ExactReference> groups = new TreeMap<>();
        for (Row row : rows) {
            groups.computeIfAbsent(row.getInt(0), k -> new ExactReference()).add(value(row), weight(row));
        }
        return groups;
    }

    static Double value(Row row) {
        return row.isNullAt(1) ? null : row.getDouble(1);
    }

    static Double weight(Row row) {
        return row.isNullAt(2) ? null : row.getDouble(2);
    }

    /** Compares doubles by their bits, so that -0.0 != 0.0 and any NaN equals NaN; null only equals null. */
    static boolean sameBits(Double expected, Object actual) {
        if (expected == null || actual == null) {
            return expected == actual;
        }
        return actual instanceof Double d
                && Double.doubleToLongBits(expected) == Double.doubleToLongBits(d);
    }

    /** A readable form for failure messages: the decimal value and its bits. */
    static String show(Object value) {
        return value instanceof Double d ? d + " (0x" + Long.toHexString(Double.doubleToRawLongBits(d)) + ")"
                : String.valueOf(value);
    }

    /** The messages of an exception and all its causes, one per line: Spark wraps task failures. */
    static String messages(Throwable error) {
        StringBuilder out = new StringBuilder();
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            out.append(e.getClass().getName()).append(": ").append(e.getMessage()).append('\n');
        }
        return out.toString();
    }
}
