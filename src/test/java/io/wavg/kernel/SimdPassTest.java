package io.wavg.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java kernel's SIMD pass (the Vector API route, which surefire's JVM loads) keeps a block only when
 * no bit can fall below level 2, judged from the smallest |w| and |w * v| against thresholds about 2^-26
 * below the block's largest. Magnitudes on both sides of those thresholds, in blocks of any length, must
 * give the exact sums, and the same state as the scalar pass and the native kernel.
 */
class SimdPassTest {
    @Test
    void theTestJvmTakesTheSimdPass() {
        assertTrue(JavaKernel.INSTANCE.lanes() >= 4, "surefire's JVM loads jdk.incubator.vector, and this machine "
                + "has 256-bit vectors or wider; lanes: " + JavaKernel.INSTANCE.lanes());
        assertTrue(JavaKernel.SCALAR.lanes() == 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"steady", "mixed signs", "weights near the floor", "products near the floor",
        "values near zero", "ragged lengths"})
    void exactOnEitherSideOfTheThresholds(String data) {
        SplittableRandom random = new SplittableRandom(data.hashCode());
        for (int trial = 0; trial < 8; trial++) {
            int n = data.equals("ragged lengths") ? random.nextInt(1, 3000) : 4096 + trial;
            double[] pairs = new double[2 * n];
            for (int i = 0; i < n; i++) {
                double w = random.nextDouble(1, 100);
                double v = random.nextDouble(-1000, 1000);
                boolean rare = random.nextInt(50) == 0;
                // largest |w| about 2^6 and |w * v| about 2^16, guessed 4 bits higher: the thresholds are
                // 2^-20 for |w| and 2^-10 for |w * v|; the trials step across them a bit at a time
                switch (data) {
                    case "mixed signs" -> w = random.nextBoolean() ? w : -w;
                    case "weights near the floor" -> w = rare ? Math.scalb(random.nextDouble(1, 2), -17 - trial) : w;
                    case "products near the floor" -> {
                        if (rare) {
                            w = 1.0;
                            v = Math.scalb(random.nextBoolean() ? random.nextDouble(1, 2) : -random.nextDouble(1, 2), -6 - trial);
                        }
                    }
                    case "values near zero" -> v = random.nextInt(200) == 0 ? Math.scalb(v, -random.nextInt(60)) : v;
                    default -> { }
                }
                pairs[2 * i] = w;
                pairs[2 * i + 1] = v;
            }
            KernelExactnessTest.assertExact(data + ", trial " + trial, pairs);
        }
    }

    @Test
    void nullMasksGiveTheScalarPassState() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 10; trial++) {
            int n = random.nextInt(1, 5000);
            double[] weights = new double[n];
            double[] values = new double[n];
            byte[] weightNulls = new byte[n];
            byte[] valueNulls = new byte[n];
            for (int i = 0; i < n; i++) {
                weights[i] = random.nextDouble(0.5, 2);
                values[i] = random.nextDouble(-10, 10);
                weightNulls[i] = (byte) (random.nextInt(10) == 0 ? 1 : 0);
                valueNulls[i] = (byte) (random.nextInt(10) == 0 ? 1 : 0);
            }
            long[] simd = StateLayout.newState();
            JavaKernel.INSTANCE.addColumns(simd, weights, values, weightNulls, valueNulls, n);
            long[] scalar = StateLayout.newState();
            JavaKernel.SCALAR.addColumns(scalar, weights, values, weightNulls, valueNulls, n);
            assertArrayEquals(TestKernels.normalized(JavaKernel.SCALAR, scalar),
                    TestKernels.normalized(JavaKernel.INSTANCE, simd), "trial " + trial);
        }
    }
}
