package io.wavg.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.wavg.state.ExactReference;
import io.wavg.state.WeightedSum;
import jnr.ffi.LibraryLoader;

/** Shared fixtures: the real native kernel, the gcc toolchain and the IEEE bit comparisons. */
public final class TestKernels {
    private static NativeKernel.Library raw;

    private TestKernels() {}

    /** The bundled kernel exactly as production loads it (extracted from target/classes). */
    public static NativeKernel nativeKernel() {
        return Kernels.bundledNative();
    }

    /** The library Maven built, as surefire reports it. */
    public static Path nativeLibraryPath() {
        String path = System.getProperty("wavg.nativeLibrary");
        assertTrue(path != null && Files.isRegularFile(Path.of(path)),
                "system property wavg.nativeLibrary must name the built kernel, got " + path);
        return Path.of(path);
    }

    public static Path nativeSources() {
        String path = System.getProperty("wavg.nativeSources");
        assertTrue(path != null && Files.isRegularFile(Path.of(path, "wavg.c")),
                "system property wavg.nativeSources must name the native/ folder, got " + path);
        return Path.of(path);
    }

    /** The same library bound directly, for what NativeKernel does not expose (wavg_result's return code). */
    public static synchronized NativeKernel.Library rawLibrary() {
        if (raw == null) {
            raw = LibraryLoader.create(NativeKernel.Library.class).failImmediately()
                    .load(nativeLibraryPath().toString());
        }
        return raw;
    }

    public static long[] stateOf(WeightedAvgKernel kernel, double[] pairs, int n) {
        long[] state = StateLayout.newState();
        kernel.addPairs(state, pairs, n);
        return state;
    }

    /** A normalized copy. */
    public static long[] normalized(WeightedAvgKernel kernel, long[] state) {
        long[] copy = state.clone();
        kernel.normalize(copy);
        return copy;
    }

    /**
     * Two states hold the same sums, count and flags: equal word for word once normalized. Before
     * that only the exact values are shared; how far carries were deferred is each kernel's own.
     */
    public static void assertSameState(long[] expected, long[] actual, String what) {
        assertArrayEquals(normalized(JavaKernel.INSTANCE, expected), normalized(JavaKernel.INSTANCE, actual), what);
        assertArrayEquals(normalized(nativeKernel(), expected), normalized(nativeKernel(), actual), what);
    }

    /** Normalizes a copy of the state and folds it into a fresh WeightedSum. */
    public static WeightedSum sumOf(WeightedAvgKernel kernel, long[] state) {
        long[] copy = state.clone();
        kernel.normalize(copy);
        WeightedSum sum = new WeightedSum();
        sum.addKernelState(copy);
        return sum;
    }

    /** Bit-for-bit equality; NaNs only need to be NaN (their payload is not part of the contract). */
    public static void assertSameDouble(double expected, double actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), () -> what + ": expected NaN but got " + ExactReference.describe(actual));
        } else {
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                    () -> what + ": expected " + ExactReference.describe(expected) + " but got "
                            + ExactReference.describe(actual));
        }
    }

    /** A nullable average as WeightedSum gives it; null must be null. */
    public static void assertSameAverage(Double expected, Double actual, String what) {
        if (expected == null) {
            assertEquals(null, actual, what + ": average should be undefined (null)");
        } else {
            assertTrue(actual != null, what + ": average should be " + expected + " but was null");
            assertSameDouble(expected, actual, what);
        }
    }

    /** The C side's encoding of the same average: undefined is NaN. */
    public static void assertSameCAverage(Double expected, double actual, String what) {
        assertSameDouble(expected == null ? Double.NaN : expected, actual, what);
    }

    public record ProcessResult(int exitCode, String output) {}

    /** Runs a command with stderr merged into stdout; fails the test if it outlives the timeout. */
    public static ProcessResult run(List<String> command, long timeoutSeconds) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            // the output is small; reading it before waiting keeps a full pipe from blocking the child
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            return new ProcessResult(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a command that must succeed and returns its output. */
    public static String runOk(List<String> command) {
        ProcessResult result = run(command, 120);
        assertEquals(0, result.exitCode(), () -> command + " failed:\n" + result.output());
        return result.output();
    }

    /** Compiles C sources into a shared library with gcc. */
    public static Path compileSharedLibrary(Path output, List<String> extraFlags, Path... sources) {
        List<String> command = new ArrayList<>(List.of("gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
                "-fPIC", "-shared", "-o", output.toString()));
        command.addAll(extraFlags);
        for (Path source : sources) {
            command.add(source.toString());
        }
        runOk(command);
        return output;
    }

    /** The C sources of the test harnesses (native/test). */
    public static Path testSource(String name) {
        Path source = nativeSources().resolve("test").resolve(name);
        assertTrue(Files.isRegularFile(source), "missing test source " + source);
        return source;
    }
}
