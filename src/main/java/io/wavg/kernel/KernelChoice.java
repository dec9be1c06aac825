package io.wavg.kernel;

import java.io.Serializable;

/**
 * The kernel a query asked for, read from the session configuration on the driver and shipped with the
 * plan, so every executor uses the same one.
 *
 * @param mode    auto, native or java
 * @param library a user library exporting weighted_avg, or null for the bundled kernels
 */
public record KernelChoice(KernelMode mode, String library) implements Serializable {
    public static final String MODE_KEY = "spark.wavg.kernel";
    public static final String LIBRARY_KEY = "spark.wavg.kernel.library";
    public static final KernelChoice DEFAULT = new KernelChoice(KernelMode.AUTO, null);

    /** From the two settings as strings; an empty library means none. */
    public static KernelChoice of(String mode, String library) {
        return new KernelChoice(KernelMode.parse(mode), library == null || library.isBlank() ? null : library.trim());
    }

    @Override
    public String toString() {
        return library != null ? "library=" + library : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
