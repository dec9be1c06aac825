package io.wavg.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compiles native/test/naive_kernel.c, plain double sums behind the users' C ABI, so the benchmark can
 * run the same columnar plumbing with a naive kernel: the price of exactness, end to end.
 */
final class NaiveKernelLibrary {
    private NaiveKernelLibrary() {}

    static Path build(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path library = dir.resolve("libnaive_wavg.so").toAbsolutePath();
        Process gcc = new ProcessBuilder("gcc", "-std=c11", "-O3", "-fPIC", "-shared", "-o", library.toString(),
                "native/test/naive_kernel.c").inheritIO().start();
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc could not build the naive kernel from native/test/naive_kernel.c");
        }
        return library;
    }
}
