package io.wavg.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extraction of the bundled kernel from the jar (here: target/classes) and the platform names. */
class NativeLibraryLoaderTest {

    static byte[] resource(String name) throws IOException {
        try (InputStream in = NativeLibraryLoader.class.getResourceAsStream(name)) {
            assertNotNull(in, "missing resource " + name);
            return in.readAllBytes();
        }
    }

    static String resourceName() {
        return "/io/wavg/native/" + NativeLibraryLoader.platform() + "/" + NativeLibraryLoader.libraryFileName();
    }

    @Test
    void extractsAVerifiedCopyIntoAPrivateDirectory() throws IOException {
        Path file = NativeLibraryLoader.extract();
        assertTrue(Files.isRegularFile(file), file.toString());
        assertEquals(NativeLibraryLoader.libraryFileName(), file.getFileName().toString());
        Path dir = file.getParent();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)),
                "only this user may read, write or enter " + dir);
        assertTrue(dir.getFileName().toString().startsWith("wavg-native-"), dir.toString());

        byte[] bundled = resource(resourceName());
        String recorded = new String(resource(resourceName() + ".sha256"), StandardCharsets.US_ASCII).trim();
        assertTrue(recorded.matches("[0-9a-f]{64}"), "recorded checksum: " + recorded);
        assertArrayEquals(bundled, Files.readAllBytes(file), "the copy is the bundled library byte for byte");
        assertEquals(recorded, NativeLibraryLoader.sha256(Files.readAllBytes(file)));
        // and it is the library Maven built for the tests
        assertEquals(recorded, NativeLibraryLoader.sha256(Files.readAllBytes(TestKernels.nativeLibraryPath())));

        Path again = NativeLibraryLoader.extract();
        assertNotEquals(dir, again.getParent(), "every extraction gets a fresh directory");
    }

    @Test
    void sha256IsTheStandardDigest() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                NativeLibraryLoader.sha256(new byte[0]));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                NativeLibraryLoader.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void platformOfThisMachine() {
        String platform = NativeLibraryLoader.platform();
        assertTrue(platform.matches("[a-z0-9]+-[a-z0-9_]+"), platform);
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        if (os.equals("Linux") && arch.equals("amd64")) {
            assertEquals("linux-x86_64", platform);
            assertEquals("libwavg.so", NativeLibraryLoader.libraryFileName());
        }
        assertTrue(TestKernels.nativeLibraryPath().getParent().endsWith(platform),
                "Maven bundles the library under the folder platform() names: " + TestKernels.nativeLibraryPath());
    }

    @Test
    void platformNamesForOtherSystems() {
        TestKernels.nativeKernel(); // jffi reads os.arch when it loads: load it before the properties change
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        try {
            for (String[] c : List.of(
                    new String[] {"Linux", "amd64", "linux-x86_64", "libwavg.so"},
                    new String[] {"Linux", "aarch64", "linux-aarch64", "libwavg.so"},
                    new String[] {"Mac OS X", "aarch64", "darwin-aarch64", "libwavg.dylib"},
                    new String[] {"Darwin", "x86_64", "darwin-x86_64", "libwavg.dylib"},
                    new String[] {"Windows 11", "amd64", "windows-x86_64", "wavg.dll"},
                    new String[] {"Windows Server 2022", "arm64", "windows-aarch64", "wavg.dll"},
                    new String[] {"FreeBSD", "amd64", "freebsd-x86_64", "libwavg.so"},
                    new String[] {"SunOS", "sparcv9", "sunos-sparcv9", "libwavg.so"},
                    new String[] {"Linux", "ppc64le", "linux-ppc64le", "libwavg.so"})) {
                System.setProperty("os.name", c[0]);
                System.setProperty("os.arch", c[1]);
                assertEquals(c[2], NativeLibraryLoader.platform(), c[0] + "/" + c[1]);
                assertEquals(c[3], NativeLibraryLoader.libraryFileName(), c[0] + "/" + c[1]);
            }
            // a platform with nothing bundled says so
            System.setProperty("os.name", "Plan9");
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, NativeLibraryLoader::extract);
            assertTrue(e.getMessage().contains("plan9-") && e.getMessage().contains("no bundled kernel"), e.getMessage());
        } finally {
            System.setProperty("os.name", os);
            System.setProperty("os.arch", arch);
        }
    }

    /** Run in a child JVM: extracts once and exits, so deleteOnExit has to clean up. */
    public static final class ExtractOnce {
        public static void main(String[] args) throws IOException {
            System.out.println(NativeLibraryLoader.extract());
        }
    }

    @Test
    void extractedCopyIsRemovedWhenTheJvmExits(@TempDir Path tmp) throws IOException {
        String classpath = codeLocation(NativeLibraryLoader.class) + java.io.File.pathSeparator
                + codeLocation(ExtractOnce.class);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        TestKernels.ProcessResult result = TestKernels.run(List.of(java, "-Djava.io.tmpdir=" + tmp, "-cp", classpath,
                ExtractOnce.class.getName()), 60);
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().trim().startsWith(tmp.toString()), result.output());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the library and its directory are deleted at exit");
        }
    }

    static String codeLocation(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}
