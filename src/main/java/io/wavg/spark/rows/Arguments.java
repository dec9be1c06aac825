package io.wavg.spark.rows;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import scala.collection.immutable.Seq;

/**
 * The (weight, value) arguments of each function, evaluated for a row by one code-generated
 * projection (no boxing, no interpreted expressions) and read as correctly rounded doubles.
 */
public final class Arguments implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Powers of ten that are exact doubles: 10^22 is the last. */
    private static final double[] POWERS_OF_TEN = new double[23];

    static {
        POWERS_OF_TEN[0] = 1.0;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10.0;
        }
    }

    private final List<Expression> expressions = new ArrayList<>(); // weight then value, per function
    private final DataType[] types;

    public Arguments(List<WeightedAvg> functions) {
        for (WeightedAvg function : functions) {
            expressions.add(function.weight());
            expressions.add(function.value());
        }
        types = expressions.stream().map(Expression::dataType).toArray(DataType[]::new);
    }

    /** The projection that evaluates every argument of a row of {@code input}; one per task. */
    public UnsafeProjection projection(Seq<Attribute> input) {
        return UnsafeProjection.create(Plans.seq(expressions), input);
    }

    /** Whether function f's pair in the projected row has a NULL side. */
    public boolean anyNull(InternalRow arguments, int f) {
        return arguments.isNullAt(2 * f) || arguments.isNullAt(2 * f + 1);
    }

    public double weight(InternalRow arguments, int f) {
        return read(arguments, 2 * f);
    }

    public double value(InternalRow arguments, int f) {
        return read(arguments, 2 * f + 1);
    }

    private double read(InternalRow row, int i) {
        DataType type = types[i];
        if (type == DataTypes.DoubleType) {
            return row.getDouble(i);
        }
        if (type == DataTypes.LongType) {
            return row.getLong(i); // Java's conversion rounds to nearest, as Spark's CAST does
        }
        if (type == DataTypes.IntegerType) {
            return row.getInt(i);
        }
        if (type == DataTypes.FloatType) {
            return row.getFloat(i);
        }
        if (type == DataTypes.ShortType) {
            return row.getShort(i);
        }
        if (type == DataTypes.ByteType) {
            return row.getByte(i);
        }
        DecimalType decimal = (DecimalType) type;
        return toDouble(row.getDecimal(i, decimal.precision(), decimal.scale()));
    }

    /**
     * A decimal correctly rounded to a double: an unscaled value and a power of ten that are both exact
     * doubles give it in one IEEE division; anything else goes through BigDecimal.
     */
    static double toDouble(Decimal decimal) {
        int scale = decimal.scale();
        if (decimal.precision() <= 18 && scale >= 0 && scale < POWERS_OF_TEN.length) {
            long unscaled = decimal.toUnscaledLong();
            if (Math.abs(unscaled) <= 1L << 53) {
                return unscaled / POWERS_OF_TEN[scale];
            }
        }
        return decimal.toJavaBigDecimal().doubleValue();
    }
}
