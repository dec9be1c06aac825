package io.wavg.spark.columnar;

import java.util.Arrays;

import org.apache.spark.sql.execution.vectorized.Dictionary;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.vectorized.ColumnVector;

/**
 * One weighted_avg argument column read as doubles a batch at a time, each value correctly rounded
 * (Java's conversions round to nearest, as Spark's CAST does), by the vector's own type: a file may
 * hold a narrower type than the table's (schema drift), which the pushed scan's vectors keep.
 * Where the reader left the vector dictionary-encoded, as Spark's reader does for a row group whose
 * pages are all dictionary pages, the dictionary is converted once and rows take their double by id.
 * Values under NULL rows are unspecified.
 */
public final class NumericColumn {
    private Object dictionaryContent; // what decoded was converted from (VectorAccess.dictionaryContent)
    private double[] decoded;
    private boolean wholeDictionary; // decoded holds every entry
    private double[] out = new double[0];

    /** The first n values of the vector as doubles; the array may be longer than n and is reused. */
    public double[] read(ColumnVector vector, int n) {
        DataType type = vector.dataType();
        if (!VectorAccess.isNumeric(type)) {
            throw new IllegalArgumentException("weighted_avg over a " + type.sql() + " column");
        }
        Dictionary current = type instanceof DecimalType ? null : VectorAccess.dictionary(vector);
        if (current != null) {
            return byDictionaryId((WritableColumnVector) vector, type, current, n);
        }
        if (type == DataTypes.DoubleType) {
            return VectorAccess.doubles(vector, n);
        }
        double[] values = buffer(n);
        long[] longs = type == DataTypes.LongType ? VectorAccess.longs(vector, n) : null;
        int[] ints = type == DataTypes.IntegerType ? VectorAccess.ints(vector, n) : null;
        if (longs != null) {
            for (int i = 0; i < n; i++) {
                values[i] = longs[i];
            }
        } else if (ints != null) {
            for (int i = 0; i < n; i++) {
                values[i] = ints[i];
            }
        } else if (!(type instanceof DecimalType)) {
            // other vectors through the public API, which only rows with a value may be asked for
            for (int i = 0; i < n; i++) {
                if (!vector.isNullAt(i)) {
                    values[i] = type == DataTypes.LongType ? vector.getLong(i)
                            : type == DataTypes.IntegerType ? vector.getInt(i)
                            : type == DataTypes.FloatType ? vector.getFloat(i)
                            : type == DataTypes.ShortType ? vector.getShort(i) : vector.getByte(i);
                }
            }
        } else {
            DecimalType decimal = (DecimalType) type;
            for (int i = 0; i < n; i++) {
                if (!vector.isNullAt(i)) {
                    values[i] = vector.getDecimal(i, decimal.precision(), decimal.scale()).toJavaBigDecimal()
                            .doubleValue();
                }
            }
        }
        return values;
    }

    private double[] byDictionaryId(WritableColumnVector vector, DataType type, Dictionary current, int n) {
        Object content = VectorAccess.dictionaryContent(current);
        if (content != dictionaryContent) {
            dictionaryContent = content;
            decoded = new double[0];
            wholeDictionary = false;
        }
        WritableColumnVector idVector = vector.getDictionaryIds();
        int[] ids = VectorAccess.ints(idVector, n);
        if (ids == null) {
            ids = idVector.getInts(0, n);
        }
        double[] values = buffer(n);
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            // an id under a NULL may be left over from an earlier dictionary, even past this one's end
            values[i] = id >= 0 && (id < decoded.length || decodes(current, type, id)) ? decoded[id] : 0.0;
        }
        return values;
    }

    /**
     * Converts dictionary entries on to {@code id} and beyond, as Spark's dictionary does not tell its
     * size; false when the dictionary ends before {@code id}.
     */
    private boolean decodes(Dictionary dictionary, DataType type, int id) {
        if (wholeDictionary) {
            return false;
        }
        int from = decoded.length;
        double[] grown = Arrays.copyOf(decoded, Math.max(id + 1, 2 * from));
        for (int i = from; i < grown.length; i++) {
            try {
                grown[i] = decode(dictionary, type, i);
            } catch (RuntimeException pastTheEnd) {
                grown = Arrays.copyOf(grown, i);
                wholeDictionary = true;
                break;
            }
        }
        decoded = grown;
        return id < decoded.length;
    }

    private static double decode(Dictionary dictionary, DataType type, int id) {
        if (type == DataTypes.DoubleType) {
            return dictionary.decodeToDouble(id);
        }
        if (type == DataTypes.LongType) {
            return dictionary.decodeToLong(id);
        }
        if (type == DataTypes.FloatType) {
            return dictionary.decodeToFloat(id);
        }
        return dictionary.decodeToInt(id); // INT, SMALLINT, TINYINT: Parquet INT32
    }

    private double[] buffer(int n) {
        if (out.length < n) {
            out = new double[n];
        }
        return out;
    }
}
