package io.wavg.spark.source.parquet;

import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The Spark type of each Parquet column this source reads; anything else is refused by name. */
public final class SparkTypes {
    private SparkTypes() {}

    public static StructType schemaOf(MessageType parquet, String file) {
        StructType schema = new StructType();
        for (Type field : parquet.getFields()) {
            if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                throw new UnsupportedParquetException(file, field.getName(),
                        "is nested or repeated; this source reads flat columns only");
            }
            PrimitiveType primitive = field.asPrimitiveType();
            schema = schema.add(field.getName(), typeOf(primitive, file),
                    !field.isRepetition(Type.Repetition.REQUIRED));
        }
        return schema;
    }

    public static DataType typeOf(PrimitiveType column, String file) {
        LogicalTypeAnnotation logical = column.getLogicalTypeAnnotation();
        if (logical instanceof DecimalLogicalTypeAnnotation decimal) {
            return DataTypes.createDecimalType(decimal.getPrecision(), decimal.getScale());
        }
        switch (column.getPrimitiveTypeName()) {
            case DOUBLE:
                return DataTypes.DoubleType;
            case FLOAT:
                return DataTypes.FloatType;
            case BOOLEAN:
                return DataTypes.BooleanType;
            case INT32:
                if (logical == null) {
                    return DataTypes.IntegerType;
                }
                if (logical instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
                    return DataTypes.DateType;
                }
                if (logical instanceof IntLogicalTypeAnnotation integer && integer.isSigned()) {
                    return switch (integer.getBitWidth()) {
                        case 8 -> DataTypes.ByteType;
                        case 16 -> DataTypes.ShortType;
                        default -> DataTypes.IntegerType;
                    };
                }
                break;
            case INT64:
                if (logical == null || logical instanceof IntLogicalTypeAnnotation integer && integer.isSigned()) {
                    return DataTypes.LongType;
                }
                if (logical instanceof TimestampLogicalTypeAnnotation ts
                        && ts.getUnit() == LogicalTypeAnnotation.TimeUnit.MICROS) {
                    return ts.isAdjustedToUTC() ? DataTypes.TimestampType : DataTypes.TimestampNTZType;
                }
                break;
            case BINARY:
                if (logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                        || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation) {
                    return DataTypes.StringType;
                }
                if (logical == null) {
                    return DataTypes.BinaryType;
                }
                break;
            default:
                break;
        }
        throw new UnsupportedParquetException(file, column.getName(), "has Parquet type " + column
                + ", which this source does not read");
    }
}
