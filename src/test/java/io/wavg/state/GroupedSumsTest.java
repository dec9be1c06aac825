package io.wavg.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import org.junit.jupiter.api.Test;

import io.wavg.kernel.JavaKernel;
import io.wavg.kernel.StateLayout;

/**
 * GroupedSums, which a pushed GROUP BY feeds one pair at a time, must leave each group exactly the
 * state a kernel leaves for the same pairs: whether its bounds are right, unknown or too small, whether
 * a group folds its level sums many times or never, and whatever the data holds.
 */
class GroupedSumsTest {

    private static WeightedSum reference(List<double[]> pairs) {
        long[] state = StateLayout.newState();
        for (double[] pair : pairs) {
            JavaKernel.INSTANCE.addPairs(state, pair, 1);
        }
        JavaKernel.INSTANCE.normalize(state);
        WeightedSum sum = new WeightedSum();
        sum.addKernelState(state);
        return sum;
    }

    private static void check(DoubleSupplier weights, DoubleSupplier values, int groups, int pairs,
                              double maxWeight, double maxValue, SplittableRandom random) {
        List<List<double[]>> byGroup = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            byGroup.add(new ArrayList<>());
        }
        GroupedSums sums = new GroupedSums(maxWeight, maxValue);
        sums.ensureGroups(groups);
        for (int i = 0; i < pairs; i++) {
            int g = random.nextInt(groups);
            double w = weights.getAsDouble();
            double v = values.getAsDouble();
            byGroup.get(g).add(new double[] {w, v});
            sums.add(g, w, v);
        }
        for (int g = 0; g < groups; g++) {
            assertArrayEquals(reference(byGroup.get(g)).serialize(), sums.takeSerialized(g),
                    "group " + g + " of " + groups + ", bounds " + maxWeight + ", " + maxValue);
        }
    }

    /**
     * Batches through addAll, where rows of one group in a row (a partition column's batch, a sorted
     * key) take a loop of their own: runs long and short, skipped rows, rows of no group, outliers
     * and NaN inside runs, runs that cross a fold, bounds learnt from the batches.
     */
    @Test
    void batchesWithRunsOfOneGroupGiveTheKernelsState() {
        SplittableRandom random = new SplittableRandom(13);
        int groups = 7;
        List<List<double[]>> byGroup = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            byGroup.add(new ArrayList<>());
        }
        GroupedSums sums = new GroupedSums(Double.NaN, Double.NaN);
        int n = 4096;
        int[] ids = new int[n];
        double[] weights = new double[n];
        double[] values = new double[n];
        byte[] skip = new byte[n];
        for (int batch = 0; batch < 12; batch++) {
            int group = random.nextInt(groups);
            for (int i = 0; i < n; i++) {
                if (random.nextInt(batch % 3 == 0 ? 2000 : 40) == 0) {
                    group = random.nextInt(-1, groups); // -1: rows of no group
                }
                ids[i] = group;
                weights[i] = random.nextDouble() * (batch < 6 ? 100 : 1e6);
                values[i] = random.nextGaussian() * 1000 + 50;
                if (random.nextInt(300) == 0) {
                    values[i] = random.nextBoolean() ? Double.NaN : 1e300; // outliers inside a run
                }
                skip[i] = (byte) (random.nextInt(20) == 0 ? 1 : 0);
                if (group >= 0 && skip[i] == 0) {
                    byGroup.get(group).add(new double[] {weights[i], values[i]});
                }
            }
            sums.ensureGroups(groups);
            sums.addAll(ids, weights, values, skip, n);
        }
        for (int g = 0; g < groups; g++) {
            assertArrayEquals(reference(byGroup.get(g)).serialize(), sums.takeSerialized(g), "group " + g);
        }
    }

    @Test
    void typicalDataWithRightBoundsFoldsAndStaysExact() {
        SplittableRandom random = new SplittableRandom(5);
        // 3 groups, 10,000 pairs: each group folds its level sums several times
        check(() -> random.nextDouble() * 100, () -> random.nextGaussian() * 1000 + 50, 3, 10_000, 100, 5000, random);
        check(() -> random.nextDouble() * 100, () -> random.nextGaussian() * 1000 + 50, 500, 5_000, 100, 5000, random);
        // one group, values at their bound: the level sums would outgrow a double without folds
        check(() -> 100 - random.nextDouble(), () -> 5000 - random.nextDouble(), 1, 20_000, 100, 5000, random);
    }

    /**
     * The common case (values within a few orders of magnitude, bounds known) takes at most 64 bytes a
     * group in memory, measured by Spark's own estimator over 1M groups, so a GROUP BY over 1M keys
     * holds its states in about 60 MB a task; wider data grows only the groups that need it.
     */
    @Test
    void aGroupTakesAtMost64BytesInTheCommonCase() {
        SplittableRandom random = new SplittableRandom(8);
        int groups = 1_000_000;
        GroupedSums sums = new GroupedSums(100, 5000);
        sums.ensureGroups(groups);
        for (int i = 0; i < 3 * groups; i++) {
            sums.add(random.nextInt(groups), random.nextDouble() * 100, random.nextGaussian() * 1000 + 50);
        }
        long bytes = org.apache.spark.util.SizeEstimator.estimate(sums);
        assertTrue(bytes <= 64L * groups, bytes / (double) groups + " bytes a group");
    }

    @Test
    void unknownOrWrongBoundsFallBackToExactAdds() {
        SplittableRandom random = new SplittableRandom(6);
        check(() -> random.nextDouble() * 100, () -> random.nextDouble() - 0.5, 7, 3_000, Double.NaN, Double.NaN, random);
        // bounds too small for some pairs: those take the exact route, the rest the fast one
        check(() -> random.nextDouble() * 100, () -> random.nextDouble() * 10, 7, 3_000, 50, 5, random);
        check(() -> random.nextDouble(), () -> random.nextDouble(), 7, 1_000, 0.0, 0.0, random);
    }

    @Test
    void wideRangesCancellationAndNonFiniteValuesStayExact() {
        SplittableRandom random = new SplittableRandom(7);
        DoubleSupplier wide = () -> Math.scalb(random.nextDouble(-1, 1), random.nextInt(-460, 460));
        check(wide, wide, 11, 4_000, 0x1p460, 0x1p460, random);
        DoubleSupplier anything = () -> switch (random.nextInt(10)) {
            case 0 -> Double.NaN;
            case 1 -> random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            case 2 -> Double.MIN_VALUE * random.nextInt(1000);
            case 3 -> Math.scalb(1.0, random.nextInt(-1074, 1024));
            default -> random.nextGaussian();
        };
        check(anything, anything, 11, 4_000, 10, 10, random);
        DoubleSupplier cancelling = () -> (random.nextBoolean() ? 1 : -1) * Math.scalb(1.0, 60 + random.nextInt(4));
        check(cancelling, () -> 1.0 + random.nextInt(3), 3, 4_000, 0x1p64, 4, random);
    }
}
