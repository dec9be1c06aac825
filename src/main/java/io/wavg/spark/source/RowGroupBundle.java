package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.connector.read.InputPartition;

/**
 * Several row groups aggregated by one task into one partial state (per group): fewer tasks and
 * fewer partial states for Spark to merge, which with GROUP BY means fewer rows to shuffle and sort.
 *
 * @param rowGroups       the row groups, read one after another
 * @param magnitudeBounds per pushed column, an upper bound on |x| over all the row groups (NaN if unknown)
 * @param keyRange        for a single integral GROUP BY key, its {min, max} over the row groups from their
 *                        statistics; null when there is no such key or the statistics do not tell
 */
public record RowGroupBundle(List<RowGroupPartition> rowGroups, double[] magnitudeBounds, long[] keyRange)
        implements InputPartition {

    /**
     * Packs row groups into at most {@code bundles} bundles of about equal row counts, largest first
     * into the lightest bundle, so the tasks finish together.
     */
    static List<List<RowGroupPartition>> pack(List<RowGroupPartition> rowGroups, int bundles) {
        int count = Math.max(1, Math.min(bundles, rowGroups.size()));
        List<List<RowGroupPartition>> packed = new ArrayList<>();
        long[] rows = new long[count];
        for (int b = 0; b < count; b++) {
            packed.add(new ArrayList<>());
        }
        List<RowGroupPartition> bySize = new ArrayList<>(rowGroups);
        bySize.sort(Comparator.comparingLong(RowGroupPartition::rows).reversed());
        for (RowGroupPartition rowGroup : bySize) {
            int lightest = 0;
            for (int b = 1; b < count; b++) {
                lightest = rows[b] < rows[lightest] ? b : lightest;
            }
            packed.get(lightest).add(rowGroup);
            rows[lightest] += rowGroup.rows();
        }
        packed.removeIf(List::isEmpty);
        return packed;
    }

    /** The hosts most of the bundle's row groups prefer, the most first. */
    @Override
    public String[] preferredLocations() {
        Map<String, Long> rows = new HashMap<>();
        for (RowGroupPartition rowGroup : rowGroups) {
            for (String host : rowGroup.preferredLocations()) {
                rows.merge(host, rowGroup.rows(), Long::sum);
            }
        }
        return ParquetFiles.mostFirst(rows);
    }

    @Override
    public String toString() {
        return "RowGroupBundle" + rowGroups + " bounds " + Arrays.toString(magnitudeBounds) + " keys "
                + Arrays.toString(keyRange);
    }
}
