package io.wavg.bench;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The weighted average of a dataset computed without the project's kernels or state: BigDecimal sums
 * of every weight and every product, exact, then the nearest double to their ratio. Costs about a
 * microsecond per row, so it suits the small sizes the smoke test and {@code --verify} run.
 */
final class BigDecimalReference {
    private static final MathContext GUESS = new MathContext(40, RoundingMode.HALF_EVEN);

    private BigDecimalReference() {}

    static double weightedAvg(SparkSession spark, Path data) {
        BigDecimal[] sums = spark.read().parquet(data.toString()).select("weight", "value").javaRDD()
                .mapPartitions(BigDecimalReference::partitionSums)
                .reduce((a, b) -> new BigDecimal[] {a[0].add(b[0]), a[1].add(b[1])});
        return nearestDouble(sums[1], sums[0]);
    }

    private static Iterator<BigDecimal[]> partitionSums(Iterator<Row> rows) {
        BigDecimal weights = BigDecimal.ZERO;
        BigDecimal products = BigDecimal.ZERO;
        while (rows.hasNext()) {
            Row row = rows.next();
            if (row.isNullAt(0) || row.isNullAt(1)) {
                continue;
            }
            // new BigDecimal(double) throws on NaN and infinities, which benchmark data never holds
            BigDecimal weight = new BigDecimal(row.getDouble(0));
            weights = weights.add(weight);
            products = products.add(weight.multiply(new BigDecimal(row.getDouble(1))));
        }
        return Collections.singletonList(new BigDecimal[] {weights, products}).iterator();
    }

    /**
     * The double nearest to numerator / denominator, ties to even. A 40-digit quotient is within an
     * ulp of it, so the answer is that quotient's double or a neighbour: the one whose multiple of
     * the denominator lies closest to the numerator, compared exactly.
     */
    static double nearestDouble(BigDecimal numerator, BigDecimal denominator) {
        if (denominator.signum() == 0) {
            return Double.NaN;
        }
        double guess = numerator.divide(denominator, GUESS).doubleValue();
        double best = Double.NaN;
        BigDecimal bestDistance = null;
        for (double candidate : new double[] {Math.nextDown(guess), guess, Math.nextUp(guess)}) {
            BigDecimal distance = numerator.subtract(new BigDecimal(candidate).multiply(denominator)).abs();
            int order = bestDistance == null ? -1 : distance.compareTo(bestDistance);
            boolean evenWinsTie = order == 0 && (Double.doubleToRawLongBits(candidate) & 1) == 0;
            if (order < 0 || evenWinsTie) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }
}
