package io.wavg.kernel;

import static io.wavg.kernel.StateLayout.CARRY_LIMIT;
import static io.wavg.kernel.StateLayout.COUNT;
import static io.wavg.kernel.StateLayout.PENDING;

import java.nio.file.Files;
import java.nio.file.Path;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Pinned;
import jnr.ffi.types.size_t;

/**
 * A kernel the user brings: any shared library exporting
 * {@code void weighted_avg(const double *pairs, size_t n, double *out)}. It is called once per batch of
 * interleaved pairs, and its (total weight, average) outputs are merged by weight, exactly, the way
 * a per-partition two-step job merges them. The result is only as exact as that library.
 */
public final class ForeignKernel implements WeightedAvgKernel {

    public interface Library {
        void weighted_avg(@Pinned @In double[] pairs, @size_t long n, @Pinned @Out double[] out);
    }

    private final Library library;
    private final String path;

    private ForeignKernel(Library library, String path) {
        this.library = library;
        this.path = path;
    }

    public static ForeignKernel load(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("weighted_avg: " + KernelChoice.LIBRARY_KEY + " names " + path
                    + ", which is not a readable file");
        }
        String absolute = file.toAbsolutePath().toString();
        try {
            // jnr-ffi binds a missing function lazily and only fails at the first call, with the message
            // "unknown": look the symbol up now so a wrong library is refused here, by name
            com.kenai.jffi.Library handle = com.kenai.jffi.Library.getCachedInstance(absolute,
                    com.kenai.jffi.Library.LAZY | com.kenai.jffi.Library.LOCAL);
            if (handle == null) {
                throw new UnsatisfiedLinkError(com.kenai.jffi.Library.getLastError());
            }
            if (handle.getSymbolAddress("weighted_avg") == 0L) {
                throw new UnsatisfiedLinkError("no symbol weighted_avg");
            }
            Library library = LibraryLoader.create(Library.class).failImmediately().load(absolute);
            return new ForeignKernel(library, path);
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalArgumentException("weighted_avg: " + path + " (" + KernelChoice.LIBRARY_KEY
                    + ") cannot be loaded or does not export void weighted_avg(const double *pairs, size_t n, "
                    + "double *out): " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "foreign:" + path;
    }

    @Override
    public void addPairs(long[] state, double[] pairs, int n) {
        if (n < 0 || pairs.length < 2L * n) { // the library trusts n: a wrong one must not reach it
            throw new IllegalArgumentException("weighted_avg: " + n + " pairs need " + 2L * n + " doubles, got "
                    + pairs.length);
        }
        if (n == 0) {
            return;
        }
        double[] out = new double[2];
        library.weighted_avg(pairs, n, out);
        if (state[PENDING] >= CARRY_LIMIT) {
            normalize(state);
        }
        double totalWeight = out[0];
        if (totalWeight != 0.0) { // a batch of zero weight carries no average to merge
            JavaKernel.addPair(state, totalWeight, out[1]);
        }
        state[PENDING] += 1;
        state[COUNT] += n;
    }

    @Override
    public void addColumns(long[] state, double[] weights, double[] values, byte[] weightNulls, byte[] valueNulls,
                           int n) {
        double[] pairs = new double[2 * n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if ((weightNulls == null || weightNulls[i] == 0) && (valueNulls == null || valueNulls[i] == 0)) {
                pairs[2 * kept] = weights[i];
                pairs[2 * kept + 1] = values[i];
                kept++;
            }
        }
        addPairs(state, pairs, kept);
    }

    @Override
    public void normalize(long[] state) {
        JavaKernel.INSTANCE.normalize(state);
    }
}
