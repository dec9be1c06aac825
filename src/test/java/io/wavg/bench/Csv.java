package io.wavg.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CSV files that the benchmarks append to and {@link Report} reads: a header line, then one line
 * per measurement, kept across runs so that sizes measured on different days chart side by side.
 */
final class Csv {
    static final Path DEFAULT_DIR = Path.of("target", "bench-report");
    static final String END_TO_END = "end_to_end.csv";
    static final String MEMORY = "memory.csv";
    static final String KERNEL = "kernel.csv";
    static final String SHAPES = "shapes.csv";

    private Csv() {}

    /** Appends rows, starting the file with its header; a file with another header is refused, not mixed. */
    static void append(Path file, List<String> header, List<List<String>> rows) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        StringBuilder text = new StringBuilder();
        if (!Files.exists(file) || Files.size(file) == 0) {
            text.append(line(header));
        } else if (!Files.readAllLines(file, StandardCharsets.UTF_8).get(0).equals(line(header).strip())) {
            throw new IOException(file + " has the columns of another version of the harness; move it away");
        }
        for (List<String> row : rows) {
            text.append(line(row));
        }
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** The rows of a file as column name to value, in file order; no file, no rows. */
    static List<Map<String, String>> read(Path file) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> header = fields(lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            List<String> values = fields(line);
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < header.size(); c++) {
                row.put(header.get(c), values.get(c));
            }
            rows.add(row);
        }
        return rows;
    }

    private static String line(List<String> fields) {
        List<String> quoted = new ArrayList<>();
        for (String field : fields) {
            boolean plain = field.chars().noneMatch(ch -> ch == ',' || ch == '"' || ch == '\n' || ch == '\r');
            // an error message may hold commas, quotes or line breaks: RFC 4180 quoting, one line per row
            quoted.add(plain ? field : '"' + field.replaceAll("[\r\n]+", " ").replace("\"", "\"\"") + '"');
        }
        return String.join(",", quoted) + "\n";
    }

    private static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                field.append('"');
                i++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ',' && !quoted) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(ch);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
