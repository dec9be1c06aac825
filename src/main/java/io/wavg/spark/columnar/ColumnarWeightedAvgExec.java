package io.wavg.spark.columnar;

import static io.wavg.spark.Plans.ints;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.kernel.KernelChoice;
import io.wavg.kernel.Kernels;
import io.wavg.kernel.StateLayout;
import io.wavg.kernel.WeightedAvgKernel;
import io.wavg.spark.WeightedAvg;
import io.wavg.state.WeightedSum;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Partial aggregation of one or more weighted_avg over a columnar child: every batch's weight and value
 * vectors go to the kernel in one call, and each task emits one row holding the serialized partial
 * state of each function, exactly what Spark's partial aggregate would emit for the final one to merge.
 */
public final class ColumnarWeightedAvgExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<WeightedAvg> functions;
    private final Seq<Object> weightOrdinals; // column of each function's weight in the child's batches
    private final Seq<Object> valueOrdinals;
    private final Seq<Expression> condition;  // the WHERE below the aggregate, if any (none or one)
    private final Seq<Expression> computed;   // columns computed after the scan's (ComputedColumns)
    private final Seq<Attribute> output;
    private final SparkPlan child;
    private final Map<String, SQLMetric> metrics;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public ColumnarWeightedAvgExec(Seq<WeightedAvg> functions, Seq<Object> weightOrdinals, Seq<Object> valueOrdinals,
                                   Seq<Expression> condition, Seq<Expression> computed, Seq<Attribute> output,
                                   SparkPlan child) {
        this.functions = functions;
        this.weightOrdinals = weightOrdinals;
        this.valueOrdinals = valueOrdinals;
        this.condition = condition;
        this.computed = computed;
        this.output = output;
        this.child = child;
        SparkContext context = child.sparkContext();
        this.metrics = Map.of(
                "numOutputRows", SQLMetrics.createMetric(context, "number of output rows"),
                "rowsAggregated", SQLMetrics.createMetric(context, "rows handed to the kernel"),
                "kernelCalls", SQLMetrics.createMetric(context, "kernel calls"),
                "kernelTime", SQLMetrics.createNanoTimingMetric(context, "time in the kernel", -1L));
    }

    @Override
    public Seq<Attribute> output() {
        return output;
    }

    /** The partial-state columns come from here, not from the child. */
    @Override
    public AttributeSet producedAttributes() {
        return outputSet();
    }

    @Override
    public String simpleString(int maxFields) {
        return "ColumnarWeightedAvg " + CollectionConverters.asJava(functions).stream()
                .map(f -> "partial_" + f.sql() + " [kernel " + f.kernelChoice() + "]").toList()
                + (condition.isEmpty() ? "" : ", where=" + condition.head().sql())
                + (computed.isEmpty() ? "" : ", computed=" + CollectionConverters.asJava(computed).stream()
                        .map(Expression::sql).toList())
                + ", output=" + output.mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new ColumnarWeightedAvgExec(functions, weightOrdinals, valueOrdinals, condition, computed, output,
                children.apply(0));
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(metrics));
    }

    @Override
    public RDD<InternalRow> doExecute() {
        PartialAggregation aggregation = new PartialAggregation(
                CollectionConverters.asJava(functions).stream().map(WeightedAvg::kernelChoice).toList(),
                ints(weightOrdinals), ints(valueOrdinals), ComputedColumns.of(condition, computed), child.output(),
                DataTypeUtils.fromAttributes(output), metrics);
        return child.executeColumnar().toJavaRDD()
                .mapPartitions(aggregation::aggregate)
                .rdd();
    }

    /** What a task runs: no reference to the plan, so only these few fields travel to executors. */
    private record PartialAggregation(List<KernelChoice> kernels, int[] weightOrdinals, int[] valueOrdinals,
                                      ComputedColumns columns, Seq<Attribute> input, StructType schema, Map<String, SQLMetric> metrics) implements Serializable {

        java.util.Iterator<InternalRow> aggregate(java.util.Iterator<ColumnarBatch> batches) {
            int count = kernels.size();
            WeightedAvgKernel[] resolved = new WeightedAvgKernel[count];
            long[][] states = new long[count][];
            NumericColumn[] weightColumns = new NumericColumn[count];
            NumericColumn[] valueColumns = new NumericColumn[count];
            for (int f = 0; f < count; f++) {
                resolved[f] = Kernels.get(kernels.get(f));
                states[f] = StateLayout.newState();
                weightColumns[f] = new NumericColumn();
                valueColumns[f] = new NumericColumn();
            }
            ComputedColumns.Evaluator evaluator = columns.evaluator(input, TaskContext.getPartitionId());
            long rows = 0;
            long calls = 0;
            long nanos = 0;
            try {
                while (batches.hasNext()) {
                    ColumnarBatch batch = evaluator.extend(batches.next());
                    int n = batch.numRows();
                    for (int f = 0; f < count; f++) {
                        ColumnVector weights = batch.column(weightOrdinals[f]);
                        ColumnVector values = batch.column(valueOrdinals[f]);
                        double[] w = weightColumns[f].read(weights, n);
                        double[] v = valueColumns[f].read(values, n);
                        // a row the WHERE rejects counts as a NULL pair: the kernel skips it
                        byte[] wNulls = VectorAccess.union(VectorAccess.nulls(weights, n), evaluator.excluded(), n);
                        byte[] vNulls = VectorAccess.nulls(values, n);
                        long start = System.nanoTime();
                        resolved[f].addColumns(states[f], w, v, wNulls, vNulls, n);
                        nanos += System.nanoTime() - start;
                        calls++;
                    }
                    rows += n;
                }
            } finally {
                evaluator.close();
            }
            Object[] serialized = new Object[count];
            for (int f = 0; f < count; f++) {
                resolved[f].normalize(states[f]);
                serialized[f] = WeightedSum.serializeKernelState(states[f]);
            }
            metrics.get("rowsAggregated").add(rows);
            metrics.get("kernelCalls").add(calls);
            metrics.get("kernelTime").add(nanos);
            metrics.get("numOutputRows").add(1);
            InternalRow row = UnsafeProjection.create(schema).apply(new GenericInternalRow(serialized)).copy();
            return List.of(row).iterator();
        }
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 7;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> functions;
            case 1 -> weightOrdinals;
            case 2 -> valueOrdinals;
            case 3 -> condition;
            case 4 -> computed;
            case 5 -> output;
            case 6 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof ColumnarWeightedAvgExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ColumnarWeightedAvgExec o && functions.equals(o.functions)
                && weightOrdinals.equals(o.weightOrdinals) && valueOrdinals.equals(o.valueOrdinals)
                && condition.equals(o.condition) && computed.equals(o.computed) && output.equals(o.output) && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(functions, weightOrdinals, valueOrdinals, condition, computed, output, child);
    }
}
