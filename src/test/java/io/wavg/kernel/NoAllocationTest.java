package io.wavg.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled kernel must never allocate (wavg.h promises it, and Spark calls it on every batch):
 * checked at run time by native/test/no_alloc.c, which replaces the malloc family and counts calls
 * around each kernel entry point, and statically by the library's undefined symbols. Both checks are
 * shown to fail on a library that does allocate (native/test/allocating_kernel.c).
 */
class NoAllocationTest {
    /** Heap and address-space functions a non-allocating kernel has no business importing. */
    private static final Set<String> FORBIDDEN = Set.of("malloc", "calloc", "realloc", "reallocarray", "free",
            "posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc", "mmap", "mmap64", "munmap",
            "mremap", "sbrk", "brk", "strdup", "strndup", "asprintf", "vasprintf");

    @TempDir
    static Path dir;
    static Path harness;
    static Path allocating;

    @BeforeAll
    static void compile() {
        harness = dir.resolve("no_alloc");
        TestKernels.runOk(List.of("gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-rdynamic", "-o",
                harness.toString(), TestKernels.testSource("no_alloc.c").toString(), "-ldl"));
        allocating = TestKernels.compileSharedLibrary(dir.resolve("liballocating.so"), List.of(),
                TestKernels.testSource("allocating_kernel.c"));
    }

    static TestKernels.ProcessResult runHarness(Path library) {
        return TestKernels.run(List.of(harness.toString(), library.toString()), 120);
    }

    @Test
    void bundledKernelNeverTouchesTheHeap() {
        TestKernels.ProcessResult result = runHarness(TestKernels.nativeLibraryPath());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK: 0 of 11 calls used the heap over 1048576 pairs"), result.output());
        // every exported entry point was exercised, and none allocated
        for (String function : exportedFunctions(TestKernels.nativeLibraryPath())) {
            assertTrue(result.output().contains(function + ": 0 heap calls"),
                    function + " is exported but was not checked:\n" + result.output());
        }
    }

    @Test
    void harnessCatchesAKernelThatAllocates() {
        TestKernels.ProcessResult result = runHarness(allocating);
        assertEquals(1, result.exitCode(), result.output());
        String out = result.output();
        assertTrue(out.contains("wavg_add_pairs: 2 heap calls"), out); // malloc + free
        assertTrue(out.contains("wavg_result: 2 heap calls"), out); // aligned_alloc + free
        assertTrue(out.contains("weighted_avg: 2 heap calls"), out); // calloc + free
        assertTrue(out.contains("wavg_add_columns: 0 heap calls"), out);
        assertTrue(out.contains("FAIL: 3 of 11 calls used the heap"), out);
    }

    @Test
    void bundledKernelImportsNoAllocator() {
        Set<String> imported = undefinedSymbols(TestKernels.nativeLibraryPath());
        assertFalse(imported.isEmpty(), "nm found no imports at all, so it proves nothing");
        Set<String> bad = new TreeSet<>(imported);
        bad.retainAll(FORBIDDEN);
        imported.stream().filter(NoAllocationTest::isOperatorNew).forEach(bad::add);
        assertTrue(bad.isEmpty(), "the kernel imports " + bad + "; all imports: " + imported);
        String demangled = TestKernels.runOk(List.of("nm", "-D", "-C", "--undefined-only",
                TestKernels.nativeLibraryPath().toString()));
        assertFalse(demangled.contains("operator new"), demangled);
    }

    @Test
    void staticCheckCatchesAKernelThatAllocates() {
        Set<String> imported = undefinedSymbols(allocating);
        assertTrue(imported.containsAll(Set.of("malloc", "calloc", "aligned_alloc", "free")), imported.toString());
    }

    static boolean isOperatorNew(String symbol) {
        return symbol.startsWith("_Znw") || symbol.startsWith("_Zna");
    }

    /** Names from `nm -D --undefined-only`, without their @version suffix. */
    static Set<String> undefinedSymbols(Path library) {
        return symbolNames(TestKernels.runOk(List.of("nm", "-D", "--undefined-only", library.toString())));
    }

    /** Functions the library defines and exports. */
    static List<String> exportedFunctions(Path library) {
        List<String> functions = new ArrayList<>();
        for (String line : TestKernels.runOk(List.of("nm", "-D", "--defined-only", library.toString())).split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 3 && (fields[1].equals("T") || fields[1].equals("i"))) {
                functions.add(fields[2].split("@")[0]);
            }
        }
        assertTrue(functions.contains("weighted_avg") && functions.contains("wavg_result"), functions.toString());
        return functions;
    }

    static Set<String> symbolNames(String nmOutput) {
        Set<String> names = new TreeSet<>();
        for (String line : nmOutput.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2) {
                names.add(fields[fields.length - 1].split("@")[0]);
            }
        }
        return names;
    }
}
