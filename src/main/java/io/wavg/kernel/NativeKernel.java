package io.wavg.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Pinned;
import jnr.ffi.types.size_t;

/** The bundled C kernel (native/wavg.c), called through jnr-ffi with pinned Java arrays: no copies. */
public final class NativeKernel implements WeightedAvgKernel {

    /** The kernel's C functions; array arguments are pinned for the call instead of copied. */
    public interface Library {
        int wavg_abi_version();

        @size_t long wavg_state_words();

        void wavg_add_pairs(@Pinned @In @Out long[] state, @Pinned @In double[] pairs, @size_t long n);

        void wavg_add_columns(@Pinned @In @Out long[] state, @Pinned @In double[] weights,
                              @Pinned @In double[] values, @Pinned @In byte[] weightNulls,
                              @Pinned @In byte[] valueNulls, @size_t long n);

        /** Direct buffers only: jnr-ffi passes their address plus position. */
        void wavg_add_le_columns(@Pinned @In @Out long[] state, @In ByteBuffer weights, @In ByteBuffer values,
                                 @size_t long n);

        void wavg_state_normalize(@Pinned @In @Out long[] state);

        int wavg_result(@Pinned @In long[] state, @Pinned @Out double[] out);

        void weighted_avg(@Pinned @In double[] pairs, @size_t long n, @Pinned @Out double[] out);
    }

    private final Library library;
    private final Path path;

    private NativeKernel(Library library, Path path) {
        this.library = library;
        this.path = path;
    }

    /** Loads the bundled library for this platform and checks that its state layout is this build's. */
    public static NativeKernel loadBundled() throws IOException {
        Path path = NativeLibraryLoader.extract();
        Library library = LibraryLoader.create(Library.class).failImmediately().load(path.toString());
        if (library.wavg_abi_version() != StateLayout.ABI_VERSION
                || library.wavg_state_words() != StateLayout.WORDS) {
            throw new IOException("bundled kernel " + path + " has ABI " + library.wavg_abi_version() + " with "
                    + library.wavg_state_words() + " state words; this build needs ABI " + StateLayout.ABI_VERSION
                    + " with " + StateLayout.WORDS);
        }
        return new NativeKernel(library, path);
    }

    @Override
    public String name() {
        return "native";
    }

    public Path path() {
        return path;
    }

    /** The C ABI users already call: {total weight, weighted average}. */
    public double[] weightedAvg(double[] pairs, int n) {
        checkPairs(pairs, n);
        double[] out = new double[2];
        library.weighted_avg(pairs, n, out);
        return out;
    }

    /** The kernel's own rounding of a state: {total weight, average}, average NaN when undefined. */
    public double[] result(long[] state) {
        checkState(state);
        double[] out = new double[2];
        library.wavg_result(state, out);
        return out;
    }

    @Override
    public void addPairs(long[] state, double[] pairs, int n) {
        checkState(state);
        checkPairs(pairs, n);
        library.wavg_add_pairs(state, pairs, n);
    }

    @Override
    public void addColumns(long[] state, double[] weights, double[] values, byte[] weightNulls, byte[] valueNulls,
                           int n) {
        checkState(state);
        if (n < 0 || weights.length < n || values.length < n || (weightNulls != null && weightNulls.length < n)
                || (valueNulls != null && valueNulls.length < n)) {
            throw new IllegalArgumentException("weighted_avg: column arrays are shorter than " + n + " rows");
        }
        library.wavg_add_columns(state, weights, values, weightNulls, valueNulls, n);
    }

    /** Direct buffers are read where they lie, at any alignment; heap buffers take the copying route. */
    @Override
    public void addLittleEndianColumns(long[] state, ByteBuffer weights, ByteBuffer values, int n) {
        if (!weights.isDirect() || !values.isDirect()) {
            WeightedAvgKernel.super.addLittleEndianColumns(state, weights, values, n);
            return;
        }
        checkState(state);
        WeightedAvgKernel.checkColumns(weights, values, n);
        library.wavg_add_le_columns(state, weights, values, n);
    }

    @Override
    public void normalize(long[] state) {
        checkState(state);
        library.wavg_state_normalize(state);
    }

    /** A negative n would reach C as a huge size_t. */
    private static void checkPairs(double[] pairs, int n) {
        if (n < 0 || pairs.length < 2L * n) {
            throw new IllegalArgumentException("weighted_avg: " + n + " pairs need " + 2L * n + " doubles, got "
                    + pairs.length);
        }
    }

    /** The C code trusts its arguments, so a wrong array must be stopped here, not crash the JVM. */
    private static void checkState(long[] state) {
        if (state.length != StateLayout.WORDS || state[StateLayout.TAG] != StateLayout.LAYOUT_TAG) {
            throw new IllegalArgumentException("weighted_avg: not a kernel state (" + state.length + " words)");
        }
    }
}
