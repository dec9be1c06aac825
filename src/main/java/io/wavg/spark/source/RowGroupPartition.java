package io.wavg.spark.source;

import java.io.Serializable;
import java.util.List;

import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.types.DataType;

/**
 * One row group of one file: the unit of work of a task.
 *
 * @param chunks          where the row group's columns lie, from the footer the driver already read, so
 *                        a task need not read it again (null entries for columns the file lacks); null
 *                        to have the task read the footer
 * @param hosts           where its bytes are stored, the most first, for the scheduler's placement
 * @param partitionValues the file's values of the partition columns read after the data columns
 */
public record RowGroupPartition(String path, int rowGroup, long rows, List<Chunk> chunks, String[] hosts,
                                InternalRow partitionValues) implements InputPartition {

    public RowGroupPartition(String path, int rowGroup, long rows) {
        this(path, rowGroup, rows, null, new String[0], new GenericInternalRow(0));
    }

    @Override
    public String[] preferredLocations() {
        return hosts.clone();
    }

    /**
     * One column chunk, as a reader needs it.
     *
     * @param column        the top-level column's name in the file
 * @param type          the Spark type of its values as the file holds them
     * @param physical      its Parquet physical type's name, with the length of a fixed-length type
     * @param maxDefinition its maximum definition level (1 for a nullable column)
     * @param maxRepetition its maximum repetition level (above 0 for a list, which the reader refuses)
     * @param start         file offset of its first page
     * @param size          its bytes, page headers included
     * @param values        its values, NULLs included
     * @param codec         its compression codec's name
     */
    public record Chunk(String column, DataType type, String physical, int typeLength, int maxDefinition, int maxRepetition,
                        long start, long size, long values, String codec) implements Serializable {

        /** The column as parquet-column's decoders take it. */
        ColumnDescriptor descriptor() {
            Type.Repetition repetition = maxRepetition > 0 ? Type.Repetition.REPEATED
                    : maxDefinition == 0 ? Type.Repetition.REQUIRED : Type.Repetition.OPTIONAL;
            PrimitiveType type = new PrimitiveType(repetition, PrimitiveType.PrimitiveTypeName.valueOf(physical),
                    typeLength, column);
            return new ColumnDescriptor(new String[] {column}, type, maxRepetition, maxDefinition);
        }
    }
}
