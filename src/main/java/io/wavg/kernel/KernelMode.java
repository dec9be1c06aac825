package io.wavg.kernel;

import java.util.Locale;

/** Which bundled kernel to use: {@code auto} prefers native and falls back to Java. */
public enum KernelMode {
    AUTO, NATIVE, JAVA;

    public static KernelMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("weighted_avg: " + KernelChoice.MODE_KEY + " must be auto, native or java, not '"
                    + text + "'", e);
        }
    }
}
