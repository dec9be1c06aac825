package io.wavg.spark.columnar;

import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.vectorized.Dictionary;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.unsafe.types.UTF8String;

import io.wavg.spark.Plans;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A computed column that reads one scan column, evaluated once per dictionary entry of that column
 * rather than once per row, where the batch's vector holds dictionary ids (Parquet's dictionary
 * pages): {@code CAST(qty % 10 AS INT)} over a few thousand distinct quantities costs a lookup a row.
 * Entries are evaluated as rows first ask for them, and again when the dictionary changes.
 */
final class ByDictionary {
    private final int column;
    private final DataType sourceType;
    private final UnsafeProjection projection;
    private final GenericInternalRow source = new GenericInternalRow(1);
    private Object dictionaryContent;
    private WritableColumnVector vector;
    private WritableColumnVector ids;
    private Dictionary dictionary;
    private UnsafeRow[] byId = new UnsafeRow[0];
    private UnsafeRow ofNull;

    private ByDictionary(int column, Attribute attribute, Expression expression) {
        this.column = column;
        this.sourceType = attribute.dataType();
        this.projection = UnsafeProjection.create(Plans.seq(List.of(expression)), Plans.seq(List.of(attribute)));
    }

    /** The evaluation for an expression over exactly one scan column of a decodable type, else null. */
    static ByDictionary of(Expression expression, List<Attribute> scanOutput) {
        List<Attribute> references = CollectionConverters.asJava(expression.references().toSeq());
        if (references.size() != 1) {
            return null;
        }
        DataType type = references.get(0).dataType();
        if (!(type == DataTypes.IntegerType || type == DataTypes.DateType || type == DataTypes.LongType
                || type == DataTypes.DoubleType || type == DataTypes.FloatType || type == DataTypes.StringType)) {
            return null;
        }
        int column = ColumnarWeightedAvgRule.column(references.get(0), scanOutput);
        return column < 0 ? null : new ByDictionary(column, scanOutput.get(column), expression);
    }

    /**
     * Whether this batch's vector of the scan column holds dictionary ids; if so, {@link #valueAt} reads
     * it until the next batch.
     */
    boolean prepare(ColumnVector[] columns) {
        vector = columns[column] instanceof WritableColumnVector writable && writable.hasDictionary()
                ? writable : null;
        dictionary = vector == null ? null : VectorAccess.dictionary(vector);
        if (dictionary == null) {
            return false;
        }
        Object content = VectorAccess.dictionaryContent(dictionary);
        if (content != dictionaryContent) { // Spark wraps a column chunk's dictionary anew per batch
            dictionaryContent = content;
            Arrays.fill(byId, null);
        }
        ids = vector.getDictionaryIds();
        return true;
    }

    /** The expression's value (a one-field row) for row i of the prepared batch. */
    InternalRow valueAt(int i) {
        if (vector.isNullAt(i)) {
            if (ofNull == null) {
                source.setNullAt(0);
                ofNull = projection.apply(source).copy();
            }
            return ofNull;
        }
        int id = ids.getDictId(i);
        if (id >= byId.length) {
            byId = Arrays.copyOf(byId, Math.max(id + 1, 2 * byId.length));
        }
        UnsafeRow value = byId[id];
        if (value == null) {
            source.update(0, decode(dictionary, id));
            value = byId[id] = projection.apply(source).copy();
        }
        return value;
    }

    /** The entry as the vector's own getter would read it. */
    private Object decode(Dictionary dictionary, int id) {
        if (sourceType == DataTypes.IntegerType || sourceType == DataTypes.DateType) {
            return dictionary.decodeToInt(id);
        }
        if (sourceType == DataTypes.LongType) {
            return dictionary.decodeToLong(id);
        }
        if (sourceType == DataTypes.DoubleType) {
            return dictionary.decodeToDouble(id);
        }
        if (sourceType == DataTypes.FloatType) {
            return dictionary.decodeToFloat(id);
        }
        return UTF8String.fromBytes(dictionary.decodeToBinary(id));
    }
}
