package io.wavg.kernel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Resolves a {@link KernelChoice} to a kernel once per JVM, and logs the kernel it settles on. */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static final Map<KernelChoice, WeightedAvgKernel> RESOLVED = new ConcurrentHashMap<>();
    private static NativeKernel bundledNative;
    private static Throwable bundledNativeFailure;

    private Kernels() {}

    public static WeightedAvgKernel get(KernelChoice choice) {
        return RESOLVED.computeIfAbsent(choice, Kernels::resolve);
    }

    private static WeightedAvgKernel resolve(KernelChoice choice) {
        WeightedAvgKernel kernel;
        if (choice.library() != null) {
            kernel = ForeignKernel.load(choice.library());
        } else {
            kernel = switch (choice.mode()) {
                case JAVA -> JavaKernel.INSTANCE;
                case NATIVE -> {
                    try {
                        yield bundledNative();
                    } catch (IllegalStateException e) {
                        throw new IllegalStateException("weighted_avg: " + KernelChoice.MODE_KEY + "=native but "
                                + e.getMessage(), e.getCause());
                    }
                }
                case AUTO -> {
                    try {
                        yield bundledNative();
                    } catch (IllegalStateException e) {
                        LOG.warn("weighted_avg: {}; using the Java kernel, which gives identical results",
                                e.getMessage());
                        yield JavaKernel.INSTANCE;
                    }
                }
            };
        }
        LOG.info("weighted_avg kernel for {}: {}", choice, kernel instanceof NativeKernel n
                ? "native (" + n.path() + ")" : kernel.name());
        return kernel;
    }

    /** The bundled native kernel, loaded at most once per JVM; IllegalStateException says why not. */
    public static synchronized NativeKernel bundledNative() {
        if (bundledNative == null && bundledNativeFailure == null) {
            try {
                bundledNative = NativeKernel.loadBundled();
            } catch (Exception | LinkageError e) {
                bundledNativeFailure = e;
            }
        }
        if (bundledNativeFailure != null) {
            throw new IllegalStateException("the native kernel is unavailable: " + bundledNativeFailure.getMessage(),
                    bundledNativeFailure);
        }
        return bundledNative;
    }
}
