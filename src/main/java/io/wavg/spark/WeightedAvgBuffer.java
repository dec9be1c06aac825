package io.wavg.spark;

import java.util.Arrays;

import io.wavg.kernel.StateLayout;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.state.WeightedSum;

/**
 * The per-group buffer of weighted_avg on Spark's row path: incoming pairs are staged in a primitive
 * array and handed to the kernel a batch at a time, never a row at a time; the kernel's exact partial
 * is then folded into the group's {@link WeightedSum}.
 */
public final class WeightedAvgBuffer {
    /** Pairs per kernel call. Staging starts small so that many small groups stay cheap. */
    static final int BATCH_PAIRS = 1024;
    private static final int FIRST_CAPACITY_PAIRS = 8;

    /** One kernel state per thread, reused for every flush: the kernel itself never allocates. */
    private static final ThreadLocal<long[]> SCRATCH = ThreadLocal.withInitial(StateLayout::newState);

    private final WeightedSum sum;
    private double[] staged;
    private int stagedPairs;

    public WeightedAvgBuffer() {
        this(new WeightedSum());
    }

    WeightedAvgBuffer(WeightedSum sum) {
        this.sum = sum;
    }

    public void add(double weight, double value, WeightedAvgKernel kernel) {
        if (staged == null) {
            staged = new double[2 * FIRST_CAPACITY_PAIRS];
        } else if (2 * stagedPairs == staged.length) {
            if (stagedPairs == BATCH_PAIRS) {
                flush(kernel);
            } else {
                staged = Arrays.copyOf(staged, 2 * Math.min(2 * stagedPairs, BATCH_PAIRS));
            }
        }
        staged[2 * stagedPairs] = weight;
        staged[2 * stagedPairs + 1] = value;
        stagedPairs++;
    }

    /** Runs the kernel over the staged pairs and returns the group's complete state. */
    public WeightedSum flush(WeightedAvgKernel kernel) {
        if (stagedPairs > 0) {
            long[] state = SCRATCH.get();
            Arrays.fill(state, 0L);
            state[StateLayout.TAG] = StateLayout.LAYOUT_TAG;
            kernel.addPairs(state, staged, stagedPairs);
            kernel.normalize(state);
            sum.addKernelState(state);
            stagedPairs = 0;
        }
        return sum;
    }

    void merge(WeightedAvgBuffer other, WeightedAvgKernel kernel) {
        flush(kernel).merge(other.flush(kernel));
    }
}
