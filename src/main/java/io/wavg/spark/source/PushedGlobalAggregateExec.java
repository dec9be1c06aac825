package io.wavg.spark.source;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.catalyst.plans.physical.SinglePartition$;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.DataTypes;

import io.wavg.spark.MergeWeightedAvg;
import io.wavg.spark.WeightedAvgBuffer;
import scala.Tuple2;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The aggregate without GROUP BY over a scan that computed its weighted_avg states itself. There are a
 * handful of small states, one per split, so when the result is collected they come to the driver with
 * the scan's job and are merged there: no shuffle and no second job for a single task to merge them
 * (on this project's benchmark machine that second job cost about as much as scanning 300 MB). The
 * states are exact, so the bits are the ones a merge in any order gives. Where the row is not collected
 * (a parent operator, a write), the states go through a one-partition shuffle as Spark's plan sends them.
 */
public final class PushedGlobalAggregateExec extends SparkPlan {
    private static final long serialVersionUID = 1L;

    private final Seq<AggregateExpression> merges;         // each a MergeWeightedAvg over a state column
    private final Seq<NamedExpression> resultExpressions; // over the merges' result attributes
    private final SparkPlan child;

    /** Parameters mirror the product elements, so Spark's reflective copies of tree nodes work. */
    public PushedGlobalAggregateExec(Seq<AggregateExpression> merges, Seq<NamedExpression> resultExpressions,
                                     SparkPlan child) {
        this.merges = merges;
        this.resultExpressions = resultExpressions;
        this.child = child;
    }

    @Override
    public Seq<Attribute> output() {
        List<Attribute> output = new ArrayList<>();
        for (NamedExpression expression : CollectionConverters.asJava(resultExpressions)) {
            output.add(expression.toAttribute());
        }
        return CollectionConverters.asScala(output).toSeq();
    }

    /** The merges' results, which the result expressions read. */
    @Override
    public AttributeSet producedAttributes() {
        List<Expression> results = new ArrayList<>();
        for (AggregateExpression call : CollectionConverters.asJava(merges)) {
            results.add(call.resultAttribute());
        }
        return AttributeSet.apply(CollectionConverters.asScala(results));
    }

    @Override
    public Partitioning outputPartitioning() {
        return SinglePartition$.MODULE$;
    }

    @Override
    public String simpleString(int maxFields) {
        return "PushedGlobalAggregate functions=" + merges.mkString("[", ", ", "]")
                + ", output=" + output().mkString("[", ", ", "]");
    }

    @Override
    public Seq<SparkPlan> children() {
        return CollectionConverters.asScala(List.of(child)).toSeq();
    }

    @Override
    public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
        return new PushedGlobalAggregateExec(merges, resultExpressions, children.apply(0));
    }

    @Override
    public RDD<InternalRow> doExecute() {
        Merger merger = merger();
        return partialStates(merger).coalesce(1, true)
                .mapPartitions(partials -> List.of(merger.finish(partials)).iterator())
                .rdd();
    }

    /** As {@link SparkPlan#executeQuery} runs any execute: subqueries in the result expressions are ready. */
    @Override
    public InternalRow[] executeCollect() {
        return executeQuery(() -> {
            Merger merger = merger();
            return new InternalRow[] {merger.finish(partialStates(merger).collect().iterator())};
        });
    }

    @Override
    public InternalRow[] executeTake(int n) {
        return n > 0 ? executeCollect() : new InternalRow[0];
    }

    @Override
    public InternalRow[] executeTail(int n) {
        return executeTake(n);
    }

    @Override
    public scala.collection.Iterator<InternalRow> executeToIterator() {
        return CollectionConverters.asScala(List.of(executeCollect()).iterator());
    }

    /** What a broadcast of this row collects. */
    @Override
    public Tuple2<Object, scala.collection.Iterator<InternalRow>> executeCollectIterator() {
        return new Tuple2<>(1L, executeToIterator());
    }

    /** Each partition's states merged into one serialized state per function. */
    private JavaRDD<byte[][]> partialStates(Merger merger) {
        return child.execute().toJavaRDD().mapPartitions(rows -> List.<byte[][]>of(merger.partial(rows)).iterator());
    }

    private Merger merger() {
        List<Attribute> columns = CollectionConverters.asJava(child.output());
        List<MergeWeightedAvg> functions = new ArrayList<>();
        List<Attribute> results = new ArrayList<>();
        for (AggregateExpression call : CollectionConverters.asJava(merges)) {
            MergeWeightedAvg merge = (MergeWeightedAvg) call.aggregateFunction();
            Attribute state = (Attribute) merge.children().head();
            int ordinal = PushDownWeightedAvg.indexOf(state, columns);
            if (ordinal < 0) {
                throw new IllegalStateException("state column " + state + " is not in " + columns);
            }
            Expression bound = new BoundReference(ordinal, DataTypes.BinaryType, state.nullable());
            functions.add((MergeWeightedAvg) merge.withNewChildren(CollectionConverters.asScala(List.of(bound)).toSeq()));
            results.add(call.resultAttribute());
        }
        return new Merger(functions, CollectionConverters.asScala(results).toSeq(), resultExpressions);
    }

    /** What the tasks and the driver run: no reference to the plan, so only these fields travel. */
    private record Merger(List<MergeWeightedAvg> functions, Seq<Attribute> results,
                          Seq<NamedExpression> resultExpressions) implements Serializable {

        byte[][] partial(Iterator<InternalRow> rows) {
            WeightedAvgBuffer[] buffers = buffers();
            while (rows.hasNext()) {
                InternalRow row = rows.next();
                for (int f = 0; f < buffers.length; f++) {
                    buffers[f] = functions.get(f).update(buffers[f], row);
                }
            }
            byte[][] states = new byte[buffers.length][];
            for (int f = 0; f < buffers.length; f++) {
                states[f] = functions.get(f).serialize(buffers[f]);
            }
            return states;
        }

        /** The one result row, from any number of partitions' states, none included. */
        InternalRow finish(Iterator<byte[][]> partials) {
            WeightedAvgBuffer[] buffers = buffers();
            while (partials.hasNext()) {
                byte[][] states = partials.next();
                for (int f = 0; f < buffers.length; f++) {
                    buffers[f] = functions.get(f).merge(buffers[f], functions.get(f).deserialize(states[f]));
                }
            }
            Object[] values = new Object[buffers.length];
            for (int f = 0; f < buffers.length; f++) {
                values[f] = functions.get(f).eval(buffers[f]);
            }
            @SuppressWarnings("unchecked") // Scala's Seq is covariant
            Seq<Expression> expressions = (Seq<Expression>) (Seq<?>) resultExpressions;
            UnsafeProjection project = UnsafeProjection.create(expressions, results);
            project.initialize(0);
            return project.apply(new GenericInternalRow(values)).copy();
        }

        private WeightedAvgBuffer[] buffers() {
            WeightedAvgBuffer[] buffers = new WeightedAvgBuffer[functions.size()];
            for (int f = 0; f < buffers.length; f++) {
                buffers[f] = functions.get(f).createAggregationBuffer();
            }
            return buffers;
        }
    }

    // ---- what a Scala case class would generate ----------------------------------------------------

    @Override
    public int productArity() {
        return 3;
    }

    @Override
    public Object productElement(int n) {
        return switch (n) {
            case 0 -> merges;
            case 1 -> resultExpressions;
            case 2 -> child;
            default -> throw new IndexOutOfBoundsException(n);
        };
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof PushedGlobalAggregateExec;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PushedGlobalAggregateExec o && merges.equals(o.merges)
                && resultExpressions.equals(o.resultExpressions) && child.equals(o.child);
    }

    @Override
    public int hashCode() {
        return Objects.hash(merges, resultExpressions, child);
    }
}
