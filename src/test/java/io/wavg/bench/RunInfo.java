package io.wavg.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

import com.sun.management.OperatingSystemMXBean;

/**
 * What every CSV row carries about the run that measured it: when it started, on what machine and
 * with which command, so that a chart drawn from the rows can say where its numbers come from.
 */
record RunInfo(String started, String machine, String command) {

    static List<String> header() {
        return List.of("started", "machine", "command");
    }

    List<String> fields() {
        return List.of(started, machine, command);
    }

    static RunInfo of(Class<?> benchmark, String[] args) {
        return new RunInfo(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), describeMachine(),
                (benchmark.getSimpleName() + " " + String.join(" ", args)).strip());
    }

    /** e.g. "2 cores, AMD EPYC, 24 GiB": the numbers the README's measurements are qualified with. */
    static String describeMachine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> ", " + l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("");
        } catch (IOException e) {
            // not Linux: cores and memory still say enough
        }
        long bytes = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return String.format(Locale.ROOT, "%d cores%s, %.0f GiB", Runtime.getRuntime().availableProcessors(), cpu,
                bytes / (double) (1L << 30));
    }
}
