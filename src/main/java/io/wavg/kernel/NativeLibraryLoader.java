package io.wavg.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Finds the bundled kernel for this os/arch inside the jar, copies it into a directory only this user
 * can read, checks its SHA-256 against the one recorded at build time and returns its path.
 * Resources: {@code /io/wavg/native/<os>-<arch>/<library>} and {@code <library>.sha256} beside it.
 */
public final class NativeLibraryLoader {
    private static final String RESOURCE_ROOT = "/io/wavg/native/";

    private NativeLibraryLoader() {}

    /** "linux-x86_64", "linux-aarch64", "darwin-aarch64", …: the folder of this platform's library. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osName = os.startsWith("mac") || os.startsWith("darwin") ? "darwin"
                : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        String archName = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "arm64", "aarch64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "");
        };
        return osName + "-" + archName;
    }

    static String libraryFileName() {
        String os = platform();
        return os.startsWith("darwin") ? "libwavg.dylib" : os.startsWith("windows") ? "wavg.dll" : "libwavg.so";
    }

    /** Extracts and verifies the bundled library; throws with the reason when there is none that fits. */
    public static Path extract() throws IOException {
        String resource = RESOURCE_ROOT + platform() + "/" + libraryFileName();
        byte[] library = readResource(resource);
        byte[] checksum = readResource(resource + ".sha256");
        String expected = new String(checksum, StandardCharsets.US_ASCII).trim().split("\\s+")[0];
        String actual = sha256(library);
        if (!actual.equalsIgnoreCase(expected)) {
            throw new IOException("bundled " + resource + " has SHA-256 " + actual + " but the build recorded "
                    + expected + "; the jar is damaged");
        }
        Path dir = Files.createTempDirectory("wavg-native-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path file = dir.resolve(libraryFileName());
        Files.write(file, library);
        if (!sha256(Files.readAllBytes(file)).equalsIgnoreCase(expected)) {
            throw new IOException("copy of " + resource + " at " + file + " changed while it was written");
        }
        // deleteOnExit runs in reverse order of registration: the file must go before its directory
        dir.toFile().deleteOnExit();
        file.toFile().deleteOnExit();
        return file;
    }

    private static byte[] readResource(String name) throws IOException {
        try (InputStream in = NativeLibraryLoader.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("no bundled kernel for platform " + platform() + " (resource " + name
                        + " is missing)");
            }
            return in.readAllBytes();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
