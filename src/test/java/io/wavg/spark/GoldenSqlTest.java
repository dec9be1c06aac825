package io.wavg.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs every {@code *.sql} file in the directory named by the system property {@code wavg.sqlCases}
 * (default {@code sql}) as one test. The file format is described in that directory's README.md.
 */
class GoldenSqlTest {
    private static final String EXPECTED = "-- expected";
    private static final String ERROR = "-- error:";

    /** A parsed case: setup statements, the query, and either result rows or error substrings. */
    record Case(List<String> setup, String query, List<String> rows, List<String> errors) {}

    @TestFactory
    Stream<DynamicTest> sqlCases() throws IOException {
        Path dir = Path.of(System.getProperty("wavg.sqlCases", "sql"));
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(f -> f.getFileName().toString().endsWith(".sql")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no .sql cases in " + dir.toAbsolutePath());
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(),
                () -> run(parse(file), file)));
    }

    static Case parse(Path file) throws IOException {
        List<String> statements = new ArrayList<>();
        List<String> rows = null;
        List<String> errors = new ArrayList<>();
        StringBuilder statement = new StringBuilder();
        int number = 0;
        for (String line : Files.readAllLines(file)) {
            number++;
            String trimmed = line.strip();
            if (rows != null) { // after "-- expected" every line but blanks and comments is a row
                if (!trimmed.isEmpty() && !trimmed.startsWith("--")) {
                    rows.add(line.stripTrailing());
                }
            } else if (trimmed.equals(EXPECTED)) {
                rows = new ArrayList<>();
            } else if (trimmed.startsWith(ERROR)) {
                errors.add(trimmed.substring(ERROR.length()).strip());
            } else if (!trimmed.startsWith("--") && !trimmed.isEmpty()) {
                if (!errors.isEmpty()) {
                    throw new IllegalArgumentException(file + ":" + number + ": SQL after an error expectation");
                }
                statement.append(statement.length() == 0 ? "" : "\n").append(line);
                if (trimmed.endsWith(";")) {
                    statements.add(statement.substring(0, statement.length() - 1).strip());
                    statement.setLength(0);
                }
            }
        }
        if (statement.length() > 0) {
            statements.add(statement.toString().strip());
        }
        if (statements.isEmpty()) {
            throw new IllegalArgumentException(file + ": no query");
        }
        if ((rows == null) == errors.isEmpty()) {
            throw new IllegalArgumentException(file + ": needs either '" + EXPECTED + "' or '" + ERROR + " ...'");
        }
        return new Case(List.copyOf(statements.subList(0, statements.size() - 1)),
                statements.get(statements.size() - 1), rows, List.copyOf(errors));
    }

    private static void run(Case c, Path file) {
        SparkSession spark = SparkTestSession.get();
        Map<String, String> confBefore = conf(spark);
        Set<String> tablesBefore = tables(spark);
        try {
            for (String setup : c.setup()) {
                spark.sql(setup).collectAsList();
            }
            if (c.rows() != null) {
                List<String> actual = spark.sql(c.query()).collectAsList().stream()
                        .map(GoldenSqlTest::format).toList();
                assertEquals(String.join("\n", c.rows()), String.join("\n", actual), file + "\n" + c.query());
            } else {
                Throwable error = assertThrows(Throwable.class, () -> spark.sql(c.query()).collectAsList(),
                        file + ": the query should have failed");
                String messages = TestData.messages(error);
                for (String expected : c.errors()) {
                    assertTrue(messages.contains(expected), () -> file + ": expected '" + expected + "' in:\n" + messages);
                }
            }
        } finally {
            restore(spark, confBefore, tablesBefore);
        }
    }

    // ---- isolation: a case's SET statements, views and tables do not outlive it -----------------------

    private static Map<String, String> conf(SparkSession spark) {
        return new HashMap<>(CollectionConverters.asJava(spark.conf().getAll()));
    }

    private static Set<String> tables(SparkSession spark) {
        return spark.sql("SHOW TABLES").collectAsList().stream()
                .map(r -> r.getString(1) + "\t" + r.getBoolean(2)).collect(Collectors.toCollection(HashSet::new));
    }

    private static void restore(SparkSession spark, Map<String, String> confBefore, Set<String> tablesBefore) {
        for (String table : tables(spark)) {
            if (!tablesBefore.contains(table)) {
                String[] nameAndTemporary = table.split("\t");
                spark.sql((Boolean.parseBoolean(nameAndTemporary[1]) ? "DROP VIEW IF EXISTS " : "DROP TABLE IF EXISTS ")
                        + "`" + nameAndTemporary[0] + "`");
            }
        }
        Map<String, String> confAfter = conf(spark);
        confAfter.forEach((key, value) -> {
            if (!confBefore.containsKey(key)) {
                spark.conf().unset(key);
            } else if (!confBefore.get(key).equals(value)) {
                spark.conf().set(key, confBefore.get(key));
            }
        });
    }

    // ---- result rows as text ---------------------------------------------------------------------------

    static String format(Row row) {
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < row.length(); i++) {
            columns.add(value(row.get(i)));
        }
        return String.join(" | ", columns);
    }

    private static String value(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof Double d) {
            return Double.toString(d);
        }
        if (value instanceof Float f) {
            return Float.toString(f);
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof Row struct) {
            List<String> fields = new ArrayList<>();
            for (int i = 0; i < struct.length(); i++) {
                fields.add(struct.schema().fields()[i].name() + ": " + value(struct.get(i)));
            }
            return "{" + String.join(", ", fields) + "}";
        }
        if (value instanceof Seq<?> seq) {
            return CollectionConverters.asJava(seq).stream().map(GoldenSqlTest::value)
                    .collect(Collectors.joining(", ", "[", "]"));
        }
        return value.toString();
    }
}
