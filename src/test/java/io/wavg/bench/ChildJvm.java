package io.wavg.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command that starts a main class of this classpath in a JVM of its own, with the flags Spark needs. */
public final class ChildJvm {
    private ChildJvm() {}

    public static List<String> command(String heap, Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        // this JVM's --add-opens and -D flags: the ones Spark's launcher would pass
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-XX:+Ignore"))
                .toList());
        command.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        return command;
    }
}
