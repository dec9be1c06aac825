package io.wavg.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.SparkSession;

import scala.Option;

/**
 * One local Spark session per test JVM, shared by every Spark-level test: starting Spark costs seconds,
 * a query on small data well under one. Tests run sequentially, so a test may change session
 * configuration through {@link #withConf}, which puts the previous values back when closed.
 */
final class SparkTestSession {
    private static SparkSession session;

    private SparkTestSession() {}

    static synchronized SparkSession get() {
        if (session == null) {
            Path warehouse;
            try {
                // CREATE TABLE in golden cases must not leave a spark-warehouse folder in the project
                warehouse = Files.createTempDirectory("wavg-test-warehouse-");
                warehouse.toFile().deleteOnExit(); // empty by then: the golden runner drops its tables
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            session = SparkSession.builder()
                    .appName("wavg-spark-tests")
                    .master("local[2]")
                    .config("spark.sql.extensions", WeightedAvgExtensions.class.getName())
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }

    /** Sets session configuration until closed; key-value pairs alternate in {@code keysAndValues}. */
    static ConfScope withConf(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must alternate");
        }
        SparkSession spark = get();
        List<String> keys = new ArrayList<>();
        List<Option<String>> previous = new ArrayList<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            keys.add(keysAndValues[i]);
            previous.add(spark.conf().getOption(keysAndValues[i]));
            spark.conf().set(keysAndValues[i], keysAndValues[i + 1]);
        }
        return () -> {
            for (int i = keys.size() - 1; i >= 0; i--) {
                if (previous.get(i).isDefined()) {
                    spark.conf().set(keys.get(i), previous.get(i).get());
                } else {
                    spark.conf().unset(keys.get(i));
                }
            }
        };
    }

    /** A configuration change that ends with a try-with-resources block; close() throws nothing. */
    @FunctionalInterface
    interface ConfScope extends AutoCloseable {
        @Override
        void close();
    }
}
