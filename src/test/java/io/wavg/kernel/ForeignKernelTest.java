package io.wavg.kernel;

import static io.wavg.kernel.TestKernels.assertSameAverage;
import static io.wavg.kernel.TestKernels.assertSameDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import io.wavg.state.ExactReference;
import io.wavg.state.WeightedSum;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring-your-own kernels: a naive C library (native/test/naive_kernel.c) is compiled here, loaded
 * with ForeignKernel.load, and its per-batch (Σw, average) outputs must be merged by weight exactly.
 */
class ForeignKernelTest {
    @TempDir
    static Path dir;
    static Path naiveLibrary;
    static Path noSymbolLibrary;

    @BeforeAll
    static void compile() {
        // no FMA contraction, so the library's arithmetic is exactly the Java mirror below
        List<String> flags = List.of("-ffp-contract=off");
        naiveLibrary = TestKernels.compileSharedLibrary(dir.resolve("libnaive.so"), flags,
                TestKernels.testSource("naive_kernel.c"));
        noSymbolLibrary = TestKernels.compileSharedLibrary(dir.resolve("libnosymbol.so"), List.of(),
                TestKernels.testSource("no_symbol.c"));
    }

    /** What naive_kernel.c computes for one batch, in the same order, so the same bits. */
    static double[] naiveBatch(double[] pairs, int from, int to) {
        double weight = 0.0;
        double product = 0.0;
        for (int i = from; i < to; i++) {
            weight += pairs[2 * i];
            product += pairs[2 * i] * pairs[2 * i + 1];
        }
        return new double[] {weight, weight != 0.0 ? product / weight : Double.NaN};
    }

    @Test
    void mergesBatchOutputsByWeightExactly() {
        ForeignKernel kernel = ForeignKernel.load(naiveLibrary.toString());
        assertEquals("foreign:" + naiveLibrary, kernel.name());
        SplittableRandom random = new SplittableRandom(71);
        for (int trial = 0; trial < 10; trial++) {
            int n = random.nextInt(1, 5000);
            double[] pairs = new double[2 * n];
            for (int i = 0; i < n; i++) {
                pairs[2 * i] = Math.scalb(random.nextDouble(-1, 3), random.nextInt(-30, 30));
                pairs[2 * i + 1] = Math.scalb(random.nextDouble(-1, 1), random.nextInt(-300, 300));
            }
            // a batch whose weights cancel to zero in double arithmetic carries nothing to merge
            pairs[0] = 3.0;
            pairs[2] = -3.0;

            long[] state = StateLayout.newState();
            ExactReference.Sums expected = ExactReference.Sums.EMPTY;
            for (int from = 0; from < n; ) {
                int to = from == 0 ? Math.min(2, n) : Math.min(n, from + random.nextInt(1, 600));
                double[] batch = Arrays.copyOfRange(pairs, 2 * from, 2 * to);
                kernel.addPairs(state, batch, to - from);
                double[] out = naiveBatch(pairs, from, to);
                if (out[0] != 0.0) {
                    expected = expected.plus(out[0], out[1]);
                }
                from = to;
            }
            WeightedSum sum = TestKernels.sumOf(kernel, state);
            String label = "trial " + trial;
            assertEquals(n, sum.count(), label + ": every pair counts");
            assertSameDouble(expected.totalWeight(), sum.totalWeight(), label + ": Σ of batch weights");
            assertSameAverage(expected.average(), sum.average(), label + ": weight-merged batch averages");
        }
    }

    @Test
    void columnsWithNullMasksGoAsOneBatchOfTheKeptRows() {
        ForeignKernel kernel = ForeignKernel.load(naiveLibrary.toString());
        double[] weights = {1, 2, Double.NaN, 4, 5};
        double[] values = {10, 20, 30, Double.NaN, 50};
        byte[] weightNulls = {0, 0, 1, 0, 0};
        byte[] valueNulls = {0, 0, 0, 7, 0};
        long[] state = StateLayout.newState();
        kernel.addColumns(state, weights, values, weightNulls, valueNulls, 5);
        double[] out = naiveBatch(new double[] {1, 10, 2, 20, 5, 50}, 0, 3);
        WeightedSum sum = TestKernels.sumOf(kernel, state);
        assertEquals(3, sum.count());
        assertSameDouble(out[0], sum.totalWeight(), "total");
        assertSameDouble(out[1], sum.average(), "one batch is its own average");
        assertEquals(8.0, out[0]);
    }

    @Test
    void aBatchWithZeroWeightLeavesNoAverage() {
        ForeignKernel kernel = ForeignKernel.load(naiveLibrary.toString());
        long[] state = StateLayout.newState();
        kernel.addPairs(state, new double[] {2, 5, -2, 9}, 2);
        WeightedSum sum = TestKernels.sumOf(kernel, state);
        assertEquals(2, sum.count());
        assertNull(sum.average());
        assertSameDouble(0.0, sum.totalWeight(), "total");
        kernel.addPairs(state, new double[0], 0);
        assertEquals(2, state[StateLayout.COUNT], "an empty batch is not sent to the library");
    }

    @Test
    void theBundledLibraryWorksAsAForeignOne() {
        // libwavg.so also exports weighted_avg; per batch results are exact, so small integer data
        // merges to the exact answer
        ForeignKernel kernel = ForeignKernel.load(TestKernels.nativeLibraryPath().toString());
        long[] state = StateLayout.newState();
        kernel.addPairs(state, new double[] {10, 2}, 1);
        kernel.addPairs(state, new double[] {20, 1}, 1);
        WeightedSum sum = TestKernels.sumOf(kernel, state);
        assertEquals(30.0, sum.totalWeight());
        assertEquals(1.3333333333333333, sum.average());
    }

    @Test
    void missingFileIsRefusedByName() {
        Path missing = dir.resolve("no-such-library.so");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForeignKernel.load(missing.toString()));
        assertMentions(e, missing.toString(), "weighted_avg", KernelChoice.LIBRARY_KEY);
        e = assertThrows(IllegalArgumentException.class, () -> ForeignKernel.load(dir.toString()));
        assertMentions(e, dir.toString(), "weighted_avg");
    }

    @Test
    void libraryWithoutTheSymbolIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForeignKernel.load(noSymbolLibrary.toString()));
        assertMentions(e, noSymbolLibrary.toString(), "weighted_avg(const double *pairs, size_t n, double *out)");
    }

    @Test
    void fileThatIsNoLibraryIsRefusedByName() throws IOException {
        Path text = Files.writeString(dir.resolve("libtext.so"), "not an ELF file\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForeignKernel.load(text.toString()));
        assertMentions(e, text.toString(), "weighted_avg");
    }

    @Test
    void kernelChoiceWithALibraryResolvesToIt() {
        WeightedAvgKernel kernel = Kernels.get(KernelChoice.of("java", " " + naiveLibrary + " "));
        assertTrue(kernel instanceof ForeignKernel, kernel.name());
        assertEquals("foreign:" + naiveLibrary, kernel.name());
    }

    @Test
    void wrongCountsNeverReachTheLibrary() {
        ForeignKernel kernel = ForeignKernel.load(naiveLibrary.toString());
        long[] state = StateLayout.newState();
        assertThrows(IllegalArgumentException.class, () -> kernel.addPairs(state, new double[2], -1));
        assertThrows(IllegalArgumentException.class, () -> kernel.addPairs(state, new double[3], 2));
        assertArrayEquals(StateLayout.newState(), state);
    }

    static void assertMentions(Exception e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
        }
    }
}
