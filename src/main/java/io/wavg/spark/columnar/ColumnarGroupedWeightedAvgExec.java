package io.wavg.spark.columnar;

import static io.wavg.spark.Plans.ints;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.Predicate$;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.aggregate.DeclarativeAggregate;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.spark.WeightedAvg;
import io.wavg.spark.grouping.GroupedAggregation;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Partial aggregation of weighted_avg with GROUP BY over a columnar child: the rows of each batch find
 * their groups from the key vectors, their pairs go to compact exact per-group sums, and each task
 * emits one row a group (the keys, then each function's serialized partial state), as Spark's partial
 * aggregate would, without the sort that an object-state aggregate falls back to past a few groups.
 * A function's FILTER (WHERE …) over the scan's columns skips the rows it rejects, which still make
 * their groups. A task that meets more than {@code maxGroups} groups emits what it holds and starts afresh, so its
 * memory stays bounded; the final aggregate merges the repeated groups exactly.
 */
public final class ColumnarGroupedWeightedAvgExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<WeightedAvg> functions;
    private final Seq<Object> keyOrdinals;    // column of each GROUP BY key in the child's batches
    private final Seq<Object> weightOrdinals; // column of each function's weight
    private final Seq<Object> valueOrdinals;
    private final Seq<Expression> filters;    // each function's FILTER (WHERE …), TRUE for none
    private final Seq<Expression> condition;  // the WHERE below the aggregate, if any (none or one)
    private final Seq<Expression> computed;   // columns computed after the scan's (ComputedColumns)
    private final Seq<Expression> others;     // Spark's declarative aggregates beside (OtherAggregates)
    private final Seq<Object> order;          // per aggregate in the output: f for ours, -1 - j for others j
    private final int maxGroups;
    private final Seq<Attribute> output;
    private final SparkPlan child;
    private final Map<String, SQLMetric> metrics;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public ColumnarGroupedWeightedAvgExec(Seq<WeightedAvg> functions, Seq<Object> keyOrdinals,
                                          Seq<Object> weightOrdinals, Seq<Object> valueOrdinals,
                                          Seq<Expression> filters, Seq<Expression> condition,
                                          Seq<Expression> computed, Seq<Expression> others, Seq<Object> order,
                                          int maxGroups, Seq<Attribute> output, SparkPlan child) {
        this.functions = functions;
        this.keyOrdinals = keyOrdinals;
        this.weightOrdinals = weightOrdinals;
        this.valueOrdinals = valueOrdinals;
        this.filters = filters;
        this.condition = condition;
        this.computed = computed;
        this.others = others;
        this.order = order;
        this.maxGroups = maxGroups;
        this.output = output;
        this.child = child;
        SparkContext context = child.sparkContext();
        this.metrics = Map.of(
                "numOutputRows", SQLMetrics.createMetric(context, "number of output rows"),
                "rowsAggregated", SQLMetrics.createMetric(context, "rows aggregated"),
                "flushes", SQLMetrics.createMetric(context, "partial results emitted early (maxGroups)"),
                "aggregationTime", SQLMetrics.createNanoTimingMetric(context, "time aggregating", -1L));
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
        List<Object> columns = new ArrayList<>(CollectionConverters.asJava(child.output()));
        CollectionConverters.asJava(computed).forEach(e -> columns.add(e.sql()));
        return "ColumnarGroupedWeightedAvg keys=" + CollectionConverters.asJava(keyOrdinals).stream()
                .map(k -> columns.get((Integer) k).toString()).toList()
                + ", functions=" + CollectionConverters.asJava(functions).stream()
                .map(f -> "partial_" + f.sql()).toList()
                + (CollectionConverters.asJava(filters).stream().allMatch(ColumnarGroupedWeightedAvgExec::none) ? ""
                        : ", filters=" + CollectionConverters.asJava(filters).stream().map(Expression::sql).toList())
                + (others.isEmpty() ? "" : ", beside=" + CollectionConverters.asJava(others).stream()
                        .map(e -> "partial_" + e.sql()).toList())
                + (condition.isEmpty() ? "" : ", where=" + condition.head().sql())
                + (computed.isEmpty() ? "" : ", computed=" + CollectionConverters.asJava(computed).stream()
                        .map(Expression::sql).toList())
                + ", maxGroups=" + maxGroups + ", output=" + output.mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new ColumnarGroupedWeightedAvgExec(functions, keyOrdinals, weightOrdinals, valueOrdinals, filters,
                condition, computed, others, order, maxGroups, output, children.apply(0));
    }

    @Override
    public scala.collection.immutable.Map<String, SQLMetric> metrics() {
        return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(metrics));
    }

    @Override
    public RDD<InternalRow> doExecute() {
        List<DataType> types = new ArrayList<>();
        CollectionConverters.asJava(child.output()).forEach(a -> types.add(a.dataType()));
        CollectionConverters.asJava(computed).forEach(e -> types.add(e.dataType()));
        DataType[] columnTypes = types.toArray(DataType[]::new);
        List<Expression> predicates = CollectionConverters.asJava(filters).stream()
                .map(f -> none(f) ? null : f).toList();
        PartialAggregation aggregation = new PartialAggregation(columnTypes, ints(keyOrdinals), ints(weightOrdinals),
                ints(valueOrdinals), new ArrayList<>(predicates), ComputedColumns.of(condition, computed),
                new OtherAggregates(CollectionConverters.asJava(others).stream()
                        .map(e -> (DeclarativeAggregate) e).toList()), ints(order),
                child.output(), maxGroups, DataTypeUtils.fromAttributes(output), metrics);
        return child.executeColumnar().toJavaRDD()
                .mapPartitions(aggregation::aggregate)
                .rdd();
    }

    /** What a task runs: no reference to the plan, so only these few fields travel to executors. */
    private record PartialAggregation(DataType[] columnTypes, int[] keys, int[] weights, int[] values,
                                      List<Expression> filters, ComputedColumns columns,
                                      OtherAggregates others, int[] order, Seq<Attribute> input, int maxGroups,
                                      StructType schema, Map<String, SQLMetric> metrics) implements Serializable {

        Iterator<InternalRow> aggregate(Iterator<ColumnarBatch> batches) {
            UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
            BasePredicate[] predicates = new BasePredicate[filters.size()];
            for (int f = 0; f < predicates.length; f++) {
                if (filters.get(f) != null) {
                    predicates[f] = Predicate$.MODULE$.create(filters.get(f), input);
                    predicates[f].initialize(TaskContext.getPartitionId());
                }
            }
            ComputedColumns.Evaluator evaluator = columns.evaluator(input, TaskContext.getPartitionId());
            TaskContext.get().addTaskCompletionListener(
                    (org.apache.spark.util.TaskCompletionListener) done -> evaluator.close());
            return new Iterator<>() {
                private Iterator<InternalRow> results = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    if (!results.hasNext() && batches.hasNext()) {
                        results = aggregateUpToMaxGroups(batches, predicates, evaluator);
                    }
                    return results.hasNext();
                }

                @Override
                public InternalRow next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    metrics.get("numOutputRows").add(1);
                    return toUnsafe.apply(results.next());
                }
            };
        }

        /** Reads batches until they run out or the groups pass maxGroups; their rows then. */
        private Iterator<InternalRow> aggregateUpToMaxGroups(Iterator<ColumnarBatch> batches,
                                                             BasePredicate[] predicates,
                                                             ComputedColumns.Evaluator evaluator) {
            double[] unknown = new double[weights.length];
            Arrays.fill(unknown, Double.NaN);
            GroupedAggregation grouped = new GroupedAggregation(columnTypes, keys, null, 0, weights, values,
                    unknown, unknown);
            OtherAggregates.Buffers buffers = others.isEmpty() ? null
                    : others.buffers(CollectionConverters.asJava(input));
            long rows = 0;
            long nanos = 0;
            while (batches.hasNext() && grouped.groups() <= maxGroups) {
                ColumnarBatch scanned = batches.next();
                long start = System.nanoTime();
                ColumnarBatch batch = evaluator.extend(scanned);
                grouped.add(batch, evaluator.excluded(), skips(scanned, predicates, evaluator.excluded()));
                if (buffers != null) {
                    buffers.update(scanned, grouped.lastGroupIds(), grouped.groups(), scanned.numRows());
                }
                nanos += System.nanoTime() - start;
                rows += scanned.numRows();
            }
            if (batches.hasNext()) {
                metrics.get("flushes").add(1);
            }
            metrics.get("rowsAggregated").add(rows);
            metrics.get("aggregationTime").add(nanos);
            return buffers == null ? grouped.results() : withOthers(grouped.results(), buffers);
        }

        /** Each group's row with the other aggregates' buffers put where the output has them. */
        private Iterator<InternalRow> withOthers(Iterator<InternalRow> groups, OtherAggregates.Buffers buffers) {
            int[] widths = others.widths();
            int[] firstField = new int[widths.length];
            for (int j = 1; j < widths.length; j++) {
                firstField[j] = firstField[j - 1] + widths[j - 1];
            }
            Object[] fields = new Object[Arrays.stream(widths).sum()];
            return new Iterator<>() {
                private int group;

                @Override
                public boolean hasNext() {
                    return groups.hasNext();
                }

                @Override
                public InternalRow next() {
                    InternalRow ours = groups.next();
                    buffers.read(group++, fields, 0);
                    List<Object> row = new ArrayList<>();
                    for (int k = 0; k < keys.length; k++) {
                        row.add(ours.get(k, columnTypes[keys[k]]));
                    }
                    for (int slot : order) {
                        if (slot >= 0) {
                            row.add(ours.getBinary(keys.length + slot));
                        } else {
                            int j = -1 - slot;
                            row.addAll(Arrays.asList(fields).subList(firstField[j], firstField[j] + widths[j]));
                        }
                    }
                    return new GenericInternalRow(row.toArray());
                }
            };
        }
    }

    /**
     * Per function, one byte per row that is non-zero where its FILTER rejects the row; null for none.
     * Rows the WHERE below excluded ({@code excluded}, null for none) are not asked.
     */
    private static byte[][] skips(ColumnarBatch batch, BasePredicate[] predicates, byte[] excluded) {
        byte[][] skips = null;
        int n = batch.numRows();
        for (int f = 0; f < predicates.length; f++) {
            if (predicates[f] != null) {
                skips = skips != null ? skips : new byte[predicates.length][];
                skips[f] = new byte[n];
                for (int i = 0; i < n; i++) {
                    skips[f][i] = (byte) (excluded != null && excluded[i] != 0 || !predicates[f].eval(batch.getRow(i))
                            ? 1 : 0);
                }
            }
        }
        return skips;
    }

    /** Whether a function's filter is the TRUE that stands for no FILTER clause. */
    public static boolean none(Expression filter) {
        return filter instanceof Literal literal && Boolean.TRUE.equals(literal.value());
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 12;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> functions;
            case 1 -> keyOrdinals;
            case 2 -> weightOrdinals;
            case 3 -> valueOrdinals;
            case 4 -> filters;
            case 5 -> condition;
            case 6 -> computed;
            case 7 -> others;
            case 8 -> order;
            case 9 -> maxGroups;
            case 10 -> output;
            case 11 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof ColumnarGroupedWeightedAvgExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ColumnarGroupedWeightedAvgExec o && functions.equals(o.functions)
                && keyOrdinals.equals(o.keyOrdinals) && weightOrdinals.equals(o.weightOrdinals)
                && valueOrdinals.equals(o.valueOrdinals) && filters.equals(o.filters) && condition.equals(o.condition)
                && computed.equals(o.computed) && others.equals(o.others) && order.equals(o.order)
                && maxGroups == o.maxGroups
                && output.equals(o.output) && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(functions, keyOrdinals, weightOrdinals, valueOrdinals, filters, condition, computed,
                others, order, maxGroups, output, child);
    }
}
