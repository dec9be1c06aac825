package io.wavg.kernel;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native kernel takes different routes through a batch: SIMD where the CPU has it, a portable
 * scalar loop elsewhere (built here with -DWAVG_PORTABLE, as it runs on other machines), and the digits
 * one pair at a time for what the fast route cannot take. Every route must leave the same exact state
 * as the Java kernel, on data that keeps to the fast route and on data that makes it spill.
 */
class KernelRoutesTest {
    @TempDir
    static Path dir;

    private static NativeKernel.Library portable() {
        Path library = TestKernels.compileSharedLibrary(dir.resolve("libwavg-portable.so"),
                List.of("-O3", "-ffp-contract=off", "-DWAVG_PORTABLE", "-lm"), TestKernels.nativeSources().resolve("wavg.c"));
        return LibraryLoader.create(NativeKernel.Library.class).failImmediately().load(library.toString());
    }

    @Test
    void simdPortableAndJavaRoutesLeaveTheSameState() {
        NativeKernel.Library simd = TestKernels.rawLibrary();
        NativeKernel.Library scalar = portable();
        SplittableRandom random = new SplittableRandom(2026);
        List<DoubleSupplier> kinds = List.of(
                () -> random.nextDouble() * 100,                                    // one narrow band
                () -> random.nextGaussian() * 1000 + 50,                            // signs, cancellation
                () -> Math.scalb(random.nextDouble(-1, 1), random.nextInt(-450, 451)), // spills below two levels
                () -> random.nextInt(8) == 0 ? Math.scalb(1.0, random.nextInt(-1074, 1024)) : random.nextDouble(),
                () -> random.nextInt(50) == 0 ? Double.NaN : random.nextDouble(-1, 1));
        for (int kind = 0; kind < kinds.size(); kind++) {
            for (int trial = 0; trial < 6; trial++) {
                int n = random.nextInt(1, 5000);
                double[] w = new double[n];
                double[] v = new double[n];
                byte[] nulls = trial % 2 == 0 ? null : new byte[n];
                for (int i = 0; i < n; i++) {
                    w[i] = kinds.get(kind).getAsDouble();
                    v[i] = kinds.get(kind).getAsDouble();
                    if (nulls != null) {
                        nulls[i] = (byte) (random.nextInt(10) == 0 ? 1 : 0);
                    }
                }
                long[] byJava = StateLayout.newState();
                long[] bySimd = StateLayout.newState();
                long[] byScalar = StateLayout.newState();
                JavaKernel.INSTANCE.addColumns(byJava, w, v, null, nulls, n);
                simd.wavg_add_columns(bySimd, w, v, null, nulls, n);
                scalar.wavg_add_columns(byScalar, w, v, null, nulls, n);
                JavaKernel.INSTANCE.normalize(byJava);
                simd.wavg_state_normalize(bySimd);
                scalar.wavg_state_normalize(byScalar);
                String what = "kind " + kind + ", trial " + trial + ", " + n + " pairs";
                TestKernels.assertSameState(byJava, bySimd, what + ", SIMD route");
                TestKernels.assertSameState(byJava, byScalar, what + ", portable route");
            }
        }
    }
}
