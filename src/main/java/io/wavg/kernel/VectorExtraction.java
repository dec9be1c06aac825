package io.wavg.kernel;

import static io.wavg.kernel.Extraction.H1;
import static io.wavg.kernel.Extraction.H2;
import static io.wavg.kernel.Extraction.L1;
import static io.wavg.kernel.Extraction.L2;
import static io.wavg.kernel.Extraction.W1;
import static io.wavg.kernel.Extraction.W2;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java kernel's guessed pass on SIMD lanes, through the incubating Vector API; loaded only when the
 * JVM runs with {@code --add-modules jdk.incubator.vector}. C2 does not vectorize the scalar pass (its
 * sums are ordered reductions), and that pass needs twice the additions of a naive loop per adder.
 *
 * <p>Two changes keep the lanes free of branches and short of work, with the same exact sums:
 * <ul>
 * <li>each lane's level-1 accumulator starts at the level's sigma, so adding x to it both cuts x to the
 *     level's quantum and sums the part (ReproBLAS's indexed sum): the part is the accumulator's change;
 * <li>nothing may fall below level 2, instead of holding what does: a weight whose magnitude is at least
 *     level 2's sigma / 1.5 (a power of two, 2^t) has no bit below level 2's quantum 2^(t-52), and
 *     neither do hi and lo where the same holds for |hi| (lo's lowest bit is at least 2^(e-105), e the
 *     exponent of hi; level 2 of lo sits 53 bits below hi's). Level 2 is then one addition that cannot
 *     round. A block with a smaller magnitude, a zero among them, is refused, and the caller takes the
 *     scalar pass.
 * </ul>
 * Magnitudes are compared as integer bits, cheaper than floating max and min. A NaN fails either way:
 * its bits exceed any finite magnitude's (or, sign kept, read as negative and fail the least-magnitude
 * check), and it leaves a NaN in the level sums.
 */
final class VectorExtraction {
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    static final int LANES = DOUBLES.length();

    private VectorExtraction() {}

    /** At least four doubles a vector (AVX2, AVX-512): measured faster than the scalar pass. */
    static boolean worthwhile() {
        return LANES >= 4 && LONGS.length() == LANES;
    }

    /**
     * Extracts pairs {@code from} to {@code from + count} ({@code count} a positive multiple of {@link #LANES})
     * into a fresh {@code pass}: level sums, largest |w| and |w * v|, smallest |w * v|. Returns false if
     * some pair could have bits below level 2; the pass is then incomplete.
     */
    static boolean extract(double[] w, double[] v, int from, int count, double[] sigma, JavaKernel.Pass pass) {
        DoubleVector w1 = DoubleVector.broadcast(DOUBLES, sigma[W1]);
        DoubleVector h1 = DoubleVector.broadcast(DOUBLES, sigma[H1]);
        DoubleVector l1 = DoubleVector.broadcast(DOUBLES, sigma[L1]);
        DoubleVector w2 = DoubleVector.broadcast(DOUBLES, sigma[W2]);
        DoubleVector h2 = DoubleVector.broadcast(DOUBLES, sigma[H2]);
        DoubleVector l2 = DoubleVector.broadcast(DOUBLES, sigma[L2]);
        DoubleVector sumW1 = w1, sumH1 = h1, sumL1 = l1, sumW2 = w2, sumH2 = h2, sumL2 = l2;
        LongVector maxW = LongVector.zero(LONGS);
        LongVector maxH = maxW;
        LongVector leastW = LongVector.broadcast(LONGS, Long.MAX_VALUE);
        LongVector leastH = leastW;
        for (int i = from; i < from + count; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(DOUBLES, w, i);
            DoubleVector y = DoubleVector.fromArray(DOUBLES, v, i);
            DoubleVector hi = x.mul(y);
            DoubleVector lo = x.fma(y, hi.neg());
            LongVector sizeW = x.abs().reinterpretAsLongs();
            LongVector sizeH = hi.abs().reinterpretAsLongs();
            maxW = maxW.max(sizeW);
            leastW = leastW.min(sizeW);
            maxH = maxH.max(sizeH);
            leastH = leastH.min(sizeH);
            DoubleVector sum = sumW1.add(x);
            sumW2 = sumW2.add(x.sub(sum.sub(sumW1)));
            sumW1 = sum;
            sum = sumH1.add(hi);
            sumH2 = sumH2.add(hi.sub(sum.sub(sumH1)));
            sumH1 = sum;
            sum = sumL1.add(lo);
            sumL2 = sumL2.add(lo.sub(sum.sub(sumL1)));
            sumL1 = sum;
        }
        // each lane minus its sigma is exact (same binade), and so is the sum of the lanes' parts
        pass.sumW1 = sumW1.sub(w1).reduceLanes(VectorOperators.ADD);
        pass.sumW2 = sumW2.sub(w2).reduceLanes(VectorOperators.ADD);
        pass.sumH1 = sumH1.sub(h1).reduceLanes(VectorOperators.ADD);
        pass.sumH2 = sumH2.sub(h2).reduceLanes(VectorOperators.ADD);
        pass.sumL1 = sumL1.sub(l1).reduceLanes(VectorOperators.ADD);
        pass.sumL2 = sumL2.sub(l2).reduceLanes(VectorOperators.ADD);
        pass.maxWeight = Double.longBitsToDouble(maxW.reduceLanes(VectorOperators.MAX));
        pass.maxProduct = Double.longBitsToDouble(maxH.reduceLanes(VectorOperators.MAX));
        pass.leastProduct = Double.longBitsToDouble(leastH.reduceLanes(VectorOperators.MIN));
        return leastW.reduceLanes(VectorOperators.MIN) >= Double.doubleToRawLongBits(sigma[W2] / 1.5)
                && leastH.reduceLanes(VectorOperators.MIN) >= Double.doubleToRawLongBits(sigma[H2] / 1.5);
    }
}
