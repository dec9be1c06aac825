package io.wavg.kernel;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both kernels extract each block of a call with sigmas guessed from the block before and keep the pass
 * only if the guess held. Steady data with one disruption in a later block, at its start, middle or end,
 * must give the exact sums whichever way the guess fails: a value far larger than the guess, a NaN or
 * an infinity, a zero, a product too small for fma to split, bits below both levels, data whose magnitude
 * drifts up block after block, a block length that is not a multiple of four, and magnitudes at the
 * limits of what may be guessed; and the blocks after the pause that follows a failed guess too.
 */
class SpeculationTest {
    private static final int BLOCK = 1024;

    @ParameterizedTest
    @ValueSource(strings = {"steady", "huge value", "huge weight", "NaN", "infinity", "zero weight", "zero value",
        "tiny product", "bits below the levels", "drifting up", "drifting down", "odd length", "near the top",
        "near the bottom"})
    void everyFailedGuessFallsBackExactly(String disruption) {
        SplittableRandom random = new SplittableRandom(disruption.hashCode());
        // the disruption comes in block 5; a failed guess pauses guessing for 4 blocks, then it resumes
        int n = disruption.equals("odd length") ? 13 * BLOCK + 3 : 14 * BLOCK;
        double[] pairs = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double scale = switch (disruption) {
                case "drifting up" -> Math.pow(64, i / BLOCK);
                case "drifting down" -> Math.pow(64, -(i / BLOCK));
                case "near the top" -> 0x1p440; // |w| about 2^447, |w * v| about 2^900: at the guess limits
                case "near the bottom" -> 0x1p-455; // |w * v| about 2^-900 and below
                default -> 1;
            };
            pairs[2 * i] = random.nextDouble(1, 100) * scale;
            pairs[2 * i + 1] = random.nextDouble(-1000, 1000) * scale;
        }
        for (int at : new int[] {5 * BLOCK, 5 * BLOCK + 511, 6 * BLOCK - 1}) {
            double[] data = pairs.clone();
            switch (disruption) {
                case "huge value" -> data[2 * at + 1] = 1e12;
                case "huge weight" -> data[2 * at] = 3e9;
                case "NaN" -> data[2 * at + 1] = Double.NaN;
                case "infinity" -> data[2 * at] = Double.NEGATIVE_INFINITY;
                case "zero weight" -> data[2 * at] = 0.0;
                case "zero value" -> data[2 * at + 1] = -0.0;
                case "tiny product" -> {
                    data[2 * at] = 1e-200;
                    data[2 * at + 1] = 1e-120;
                }
                case "bits below the levels" -> {
                    for (int i = 4 * BLOCK; i < 6 * BLOCK; i += 97) {
                        data[2 * i] = Math.scalb(random.nextDouble(1, 2), -40); // weights far below the others
                    }
                }
                default -> { }
            }
            String label = disruption + " at " + at;
            if (disruption.equals("NaN") || disruption.equals("infinity")) {
                // no exact reference for these: the scalar Java kernel, a second implementation, is the comparison
                double[] weights = new double[n];
                double[] values = new double[n];
                for (int i = 0; i < n; i++) {
                    weights[i] = data[2 * i];
                    values[i] = data[2 * i + 1];
                }
                long[] expected = StateLayout.newState();
                JavaKernel.SCALAR.addColumns(expected, weights, values, null, null, n);
                for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JavaKernel.INSTANCE, TestKernels.nativeKernel()}) {
                    long[] actual = StateLayout.newState();
                    kernel.addColumns(actual, weights, values, null, null, n);
                    TestKernels.assertSameState(expected, actual, label + " [" + kernel.name() + "]");
                }
            } else {
                KernelExactnessTest.assertExact(label, data);
            }
        }
    }
}
