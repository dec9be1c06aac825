package io.wavg.kernel;

import static io.wavg.kernel.TestKernels.assertSameAverage;
import static io.wavg.kernel.TestKernels.assertSameCAverage;
import static io.wavg.kernel.TestKernels.assertSameDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import io.wavg.state.WeightedSum;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Infinities and NaNs, as WeightedSum.totalWeight()/average() document them: a NaN weight or infinite
 * weights of both signs make Σw NaN, infinite weights of one sign make it that infinity; a NaN input
 * or an infinite weight makes the average NaN; infinite products of one sign make it an infinity
 * signed by Σw; otherwise an exactly zero Σw leaves it undefined (null, NaN with return code 1 in C).
 * Finite weights of pairs with a non-finite side still count in Σw. Java and C must agree.
 */
class NonFiniteTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;

    static Stream<Arguments> cases() {
        return Stream.of(
                // label, pairs, total weight, average (null: undefined)
                Arguments.of("NaN weight", new double[] {NAN, 1, 2, 3}, NAN, NAN),
                Arguments.of("negative NaN with payload", new double[] {Double.longBitsToDouble(0xfff0000000000001L), 1}, NAN, NAN),
                Arguments.of("NaN value", new double[] {2, NAN, 3, 1}, 5.0, NAN),
                Arguments.of("+Inf weight", new double[] {INF, 2, 1, 1}, INF, NAN),
                Arguments.of("-Inf weight", new double[] {-INF, 2, 1, 1}, -INF, NAN),
                Arguments.of("±Inf weights", new double[] {INF, 1, -INF, 1}, NAN, NAN),
                Arguments.of("+Inf value, Σw > 0", new double[] {2, INF, 3, 1}, 5.0, INF),
                Arguments.of("+Inf value, Σw < 0", new double[] {1, INF, -3, 5}, -2.0, -INF),
                Arguments.of("-Inf value, negative weight", new double[] {-1, -INF, 0.5, 1}, -0.5, -INF),
                Arguments.of("-Inf value, positive weight", new double[] {1e-300, -INF, 1e300, 1}, 1e300, -INF),
                Arguments.of("+Inf and -Inf products", new double[] {1, INF, 1, -INF}, 2.0, NAN),
                Arguments.of("0 * Inf", new double[] {0.0, INF, 1, 2}, 1.0, NAN),
                Arguments.of("-0 * -Inf", new double[] {-0.0, -INF, 1, 2}, 1.0, NAN),
                Arguments.of("Inf * 0", new double[] {INF, 0.0, 1, 2}, INF, NAN),
                Arguments.of("Inf * Inf", new double[] {INF, INF}, INF, NAN),
                Arguments.of("Inf weight, NaN value", new double[] {INF, NAN}, INF, NAN),
                Arguments.of("Inf value, Σw exactly 0", new double[] {1, INF, -1, 2}, 0.0, null),
                Arguments.of("NaN value, Σw exactly 0", new double[] {1, NAN, -1, 2}, 0.0, NAN),
                Arguments.of("NaN weight, otherwise Σw 0", new double[] {NAN, 1, 1, 2, -1, 3}, NAN, NAN),
                Arguments.of("Inf value, huge finite rest", new double[] {Double.MAX_VALUE, Double.MAX_VALUE, 1, INF},
                        Double.MAX_VALUE, INF));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void documentedIeeeBehaviour(String label, double[] pairs, double total, Double average) {
        int n = pairs.length / 2;
        NativeKernel nativeKernel = TestKernels.nativeKernel();
        long[] byJava = TestKernels.stateOf(JavaKernel.INSTANCE, pairs, n);
        long[] nat = TestKernels.stateOf(nativeKernel, pairs, n);
        TestKernels.assertSameState(byJava, nat, label + ": states");
        for (WeightedAvgKernel kernel : new WeightedAvgKernel[] {JavaKernel.INSTANCE, JavaKernel.SCALAR, nativeKernel}) {
            WeightedSum sum = TestKernels.sumOf(kernel, byJava);
            assertEquals(n, sum.count(), label);
            assertSameDouble(total, sum.totalWeight(), label + " [" + kernel.name() + "] total");
            assertSameAverage(average, sum.average(), label + " [" + kernel.name() + "] average");
            WeightedSum copy = WeightedSum.deserialize(sum.serialize());
            assertSameDouble(total, copy.totalWeight(), label + " [serialized] total");
            assertSameAverage(average, copy.average(), label + " [serialized] average");
        }
        double[] out = new double[2];
        int undefined = TestKernels.rawLibrary().wavg_result(nat, out);
        assertEquals(average == null ? 1 : 0, undefined, label + ": wavg_result return code");
        assertSameDouble(total, out[0], label + " [wavg_result] total");
        assertSameCAverage(average, out[1], label + " [wavg_result] average");
        double[] abi = nativeKernel.weightedAvg(pairs, n);
        assertSameDouble(total, abi[0], label + " [weighted_avg] total");
        assertSameCAverage(average, abi[1], label + " [weighted_avg] average");
    }

    @Test
    void flagsRecordedPerClass() {
        double[] pairs = {NAN, 1, INF, 1, -INF, 2, 1, INF, 1, -INF, 0.0, INF};
        long[] state = TestKernels.stateOf(TestKernels.nativeKernel(), pairs, pairs.length / 2);
        assertEquals(StateLayout.FLAG_WEIGHT_NAN | StateLayout.FLAG_WEIGHT_POS_INF | StateLayout.FLAG_WEIGHT_NEG_INF
                | StateLayout.FLAG_PRODUCT_NAN | StateLayout.FLAG_PRODUCT_POS_INF | StateLayout.FLAG_PRODUCT_NEG_INF,
                state[StateLayout.FLAGS]);
        // the finite weights of the last three pairs (1, 1, 0) are in the digits
        WeightedSum finiteOnly = TestKernels.sumOf(JavaKernel.INSTANCE, TestKernels.stateOf(JavaKernel.INSTANCE,
                new double[] {1, 5, 1, 5, 0.0, 5}, 3));
        long[] digitsOnly = state.clone();
        digitsOnly[StateLayout.FLAGS] = 0;
        assertSameDouble(finiteOnly.totalWeight(), TestKernels.sumOf(JavaKernel.INSTANCE, digitsOnly).totalWeight(), "Σ finite w");
    }

    @Test
    void flagsMergeAcrossStates() {
        // +Inf weights in one partition and -Inf in another: Σw is NaN, as IEEE addition would give
        WeightedSum plus = TestKernels.sumOf(JavaKernel.INSTANCE,
                TestKernels.stateOf(JavaKernel.INSTANCE, new double[] {INF, 1, 2, 3}, 2));
        WeightedSum minus = TestKernels.sumOf(TestKernels.nativeKernel(),
                TestKernels.stateOf(TestKernels.nativeKernel(), new double[] {-INF, 1}, 1));
        assertSameDouble(INF, plus.totalWeight(), "one sign");
        plus.merge(WeightedSum.deserialize(minus.serialize()));
        assertSameDouble(NAN, plus.totalWeight(), "both signs");
        assertSameDouble(NAN, plus.average(), "average");
        assertEquals(3, plus.count());

        // an infinite value in one partition and a negative Σw from another: the sign follows Σw
        WeightedSum value = TestKernels.sumOf(JavaKernel.INSTANCE,
                TestKernels.stateOf(JavaKernel.INSTANCE, new double[] {1, INF}, 1));
        assertSameDouble(INF, value.average(), "alone");
        value.merge(TestKernels.sumOf(JavaKernel.INSTANCE, TestKernels.stateOf(JavaKernel.INSTANCE, new double[] {-4, 1}, 1)));
        assertSameDouble(-INF, value.average(), "after Σw turned negative");
        assertSameDouble(-3.0, value.totalWeight(), "Σw");
    }
}
