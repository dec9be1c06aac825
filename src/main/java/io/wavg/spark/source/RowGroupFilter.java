package io.wavg.spark.source;

import java.math.BigDecimal;
import java.util.Arrays;

import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.spark.sql.sources.And;
import org.apache.spark.sql.sources.EqualTo;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.sources.GreaterThan;
import org.apache.spark.sql.sources.GreaterThanOrEqual;
import org.apache.spark.sql.sources.IsNotNull;
import org.apache.spark.sql.sources.IsNull;
import org.apache.spark.sql.sources.LessThan;
import org.apache.spark.sql.sources.LessThanOrEqual;
import org.apache.spark.sql.sources.Or;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Decides from a row group's column statistics whether a filter can match any of its rows. Only ever
 * answers "no" when that is certain: Spark orders NaN above every number and Parquet statistics leave
 * NaN out, so on floating-point columns only upper bounds (less than) and equality are used.
 */
final class RowGroupFilter {
    private RowGroupFilter() {}

    static boolean canUse(Filter filter, StructType schema) {
        if (filter instanceof And and) {
            return canUse(and.left(), schema) && canUse(and.right(), schema);
        }
        if (filter instanceof Or or) {
            return canUse(or.left(), schema) && canUse(or.right(), schema);
        }
        if (filter instanceof IsNull || filter instanceof IsNotNull) {
            return column(filter, schema) != null;
        }
        DataType type = column(filter, schema);
        if (type == null || !(value(filter) instanceof Number number) || exact(number) == null) {
            return false;
        }
        boolean floating = type == DataTypes.DoubleType || type == DataTypes.FloatType;
        boolean integral = type == DataTypes.LongType || type == DataTypes.IntegerType
                || type == DataTypes.ShortType || type == DataTypes.ByteType;
        return integral || floating && (filter instanceof LessThan || filter instanceof LessThanOrEqual
                || filter instanceof EqualTo);
    }

    /** False only when no row of the row group can pass the filter. */
    static boolean mightMatch(Filter filter, ParquetFiles.Footer footer, BlockMetaData block) {
        if (filter instanceof And and) {
            return mightMatch(and.left(), footer, block) && mightMatch(and.right(), footer, block);
        }
        if (filter instanceof Or or) {
            return mightMatch(or.left(), footer, block) || mightMatch(or.right(), footer, block);
        }
        ColumnChunkMetaData chunk = footer.chunk(block, filter.references()[0]);
        if (chunk == null) { // the file lacks the column: every value is NULL
            return filter instanceof IsNull;
        }
        Statistics<?> stats = chunk.getStatistics();
        if (stats == null || stats.isEmpty() || !stats.isNumNullsSet()) {
            return true;
        }
        long nulls = stats.getNumNulls();
        if (filter instanceof IsNull) {
            return nulls > 0;
        }
        if (filter instanceof IsNotNull) {
            return nulls < block.getRowCount();
        }
        if (!stats.hasNonNullValue()) {
            return nulls < block.getRowCount();
        }
        BigDecimal min = exact(stats.genericGetMin());
        BigDecimal max = exact(stats.genericGetMax());
        BigDecimal v = exact((Number) value(filter));
        if (min == null || max == null || v == null) {
            return true;
        }
        if (filter instanceof EqualTo) {
            return min.compareTo(v) <= 0 && max.compareTo(v) >= 0;
        }
        if (filter instanceof LessThan) {
            return min.compareTo(v) < 0;
        }
        if (filter instanceof LessThanOrEqual) {
            return min.compareTo(v) <= 0;
        }
        if (filter instanceof GreaterThan) {
            return max.compareTo(v) > 0;
        }
        if (filter instanceof GreaterThanOrEqual) {
            return max.compareTo(v) >= 0;
        }
        return true;
    }

    private static DataType column(Filter filter, StructType schema) {
        String[] refs = filter.references();
        if (refs.length != 1 || !Arrays.asList(schema.fieldNames()).contains(refs[0])) {
            return null;
        }
        return schema.apply(refs[0]).dataType();
    }

    private static Object value(Filter filter) {
        if (filter instanceof EqualTo f) return f.value();
        if (filter instanceof GreaterThan f) return f.value();
        if (filter instanceof GreaterThanOrEqual f) return f.value();
        if (filter instanceof LessThan f) return f.value();
        if (filter instanceof LessThanOrEqual f) return f.value();
        return null;
    }

    /** The exact value of a statistic or literal, or null for NaN, infinities and non-numbers. */
    private static BigDecimal exact(Object value) {
        if (value instanceof Double d) {
            return Double.isFinite(d) ? new BigDecimal(d) : null;
        }
        if (value instanceof Float f) {
            return Float.isFinite(f) ? new BigDecimal(f) : null;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return BigDecimal.valueOf(((Number) value).longValue());
        }
        if (value instanceof BigDecimal d) {
            return d;
        }
        return null;
    }
}
