package io.wavg.spark.source;

import java.io.Serializable;
import java.util.List;

import org.apache.spark.sql.connector.read.InputPartition;

/**
 * One row group of one file: the unit of work of a task.
 *
 * @param chunks where the row group's columns lie, from the footer the driver already read, so a task
 *               need not read it again; null to have the task read the footer
 */
public record RowGroupPartition(String path, int rowGroup, long rows, List<Chunk> chunks) implements InputPartition {

    public RowGroupPartition(String path, int rowGroup, long rows) {
        this(path, rowGroup, rows, null);
    }

    /**
     * One column chunk, as a reader needs it.
     *
     * @param column      the top-level column's name
     * @param declaration the column's Parquet type, as the footer's schema declares it
     * @param start       file offset of its first page
     * @param size        its bytes, page headers included
     * @param values      its values, NULLs included
     * @param codec       its compression codec's name
     */
    public record Chunk(String column, String declaration, long start, long size, long values, String codec)
            implements Serializable {}
}
