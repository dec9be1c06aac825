package io.wavg.spark.rows;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.apache.spark.TaskContext;
import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.BasePredicate;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.Predicate$;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.array.ByteArrayMethods;
import org.apache.spark.unsafe.map.BytesToBytesMap;

import io.wavg.state.GroupedSums;
import scala.collection.immutable.Seq;

/**
 * What a task of {@link RowGroupedWeightedAvgExec} runs: each row's key, as Spark's unsafe bytes, finds
 * its group id in a {@code BytesToBytesMap}; its pairs are staged a batch at a time and go to compact
 * exact per-group sums ({@link GroupedSums}). When the task holds {@code maxGroups} groups, or the map
 * cannot grow in the task's memory, the groups held are emitted as partial results and the task starts
 * afresh: the final merge adds repeated groups exactly. No reference to the plan, so only these fields
 * travel to executors.
 */
record RowPartialAggregation(Seq<Expression> keys, Arguments arguments, List<Expression> filters,
                             Seq<Attribute> input, int maxGroups, StructType schema,
                             Map<String, SQLMetric> metrics) implements Serializable {
    /** Rows staged before their pairs go to the sums. */
    private static final int BATCH = 1024;

    Iterator<InternalRow> aggregate(Iterator<InternalRow> rows) {
        Task task = new Task(TaskContext.get());
        return new Iterator<>() {
            private Iterator<InternalRow> results = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                if (!results.hasNext() && (task.pending != null || rows.hasNext())) {
                    results = task.aggregateUpToMaxGroups(rows);
                }
                return results.hasNext();
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                metrics.get("numOutputRows").add(1);
                return results.next();
            }
        };
    }

    /** One task's state: the map of keys, the sums, and the rows staged for them. */
    private final class Task {
        private final int functions = filters.size();
        private final TaskMemoryManager memoryManager;
        private final UnsafeProjection keyOf;
        private final UnsafeProjection argumentsOf;
        private final BasePredicate[] predicates;
        private final UnsafeProjection toOutput = UnsafeProjection.create(schema);
        private final UnsafeRow key;
        private final JoinedRow joined = new JoinedRow();
        private final byte[] id = new byte[8];
        private final int[] groups = new int[BATCH];
        private final double[][] weights;
        private final double[][] values;
        private final byte[][] skips;
        private byte[] lastKey = new byte[64];
        private int lastKeySize = -1;
        private int lastGroup;
        private int staged;
        private BytesToBytesMap map;
        private GroupedSums[] sums;
        private int groupCount;
        /** A row whose new group did not fit in the last round: the next round starts with it. */
        InternalRow pending;

        Task(TaskContext context) {
            memoryManager = context.taskMemoryManager();
            keyOf = UnsafeProjection.create(keys, input);
            argumentsOf = arguments.projection(input);
            predicates = new BasePredicate[functions];
            for (int f = 0; f < functions; f++) {
                if (filters.get(f) != null) {
                    predicates[f] = Predicate$.MODULE$.create(filters.get(f), input);
                    predicates[f].initialize(context.partitionId());
                }
            }
            key = new UnsafeRow(keys.size());
            weights = new double[functions][BATCH];
            values = new double[functions][BATCH];
            skips = new byte[functions][BATCH];
            context.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) done -> free());
        }

        /** Aggregates rows until they run out or the groups reach maxGroups; then the groups' rows. */
        Iterator<InternalRow> aggregateUpToMaxGroups(Iterator<InternalRow> rows) {
            free();
            map = new BytesToBytesMap(memoryManager, 1 << 12, memoryManager.pageSizeBytes());
            sums = new GroupedSums[functions];
            for (int f = 0; f < functions; f++) {
                sums[f] = new GroupedSums(Double.NaN, Double.NaN);
            }
            groupCount = 0;
            lastKeySize = -1;
            long start = System.nanoTime();
            long count = 0;
            while (pending != null || rows.hasNext()) {
                InternalRow row = pending != null ? pending : rows.next();
                pending = null;
                int group = groupOf(keyOf.apply(row));
                if (group < 0) { // a new group that does not fit: the row waits for the next round
                    pending = row.copy();
                    metrics.get("flushes").add(1);
                    break;
                }
                stage(group, row);
                count++;
            }
            flushStaged();
            metrics.get("rowsAggregated").add(count);
            metrics.get("aggregationTime").add(System.nanoTime() - start);
            return results();
        }

        /** The row's group id, a new one if need be; -1 when a new group does not fit. */
        private int groupOf(UnsafeRow rowKey) {
            Object base = rowKey.getBaseObject();
            long offset = rowKey.getBaseOffset();
            int size = rowKey.getSizeInBytes();
            // rows of one key often come together (sorted or clustered data, skewed keys)
            if (size == lastKeySize
                    && ByteArrayMethods.arrayEquals(base, offset, lastKey, Platform.BYTE_ARRAY_OFFSET, size)) {
                return lastGroup;
            }
            BytesToBytesMap.Location at = map.lookup(base, offset, size);
            int group;
            if (at.isDefined()) {
                group = (int) Platform.getLong(at.getValueBase(), at.getValueOffset());
            } else {
                Platform.putLong(id, Platform.BYTE_ARRAY_OFFSET, groupCount);
                if (groupCount >= maxGroups || !at.append(base, offset, size, id, Platform.BYTE_ARRAY_OFFSET, 8)) {
                    if (groupCount == 0) {
                        throw new IllegalStateException("weighted_avg: no memory for one group's key of " + size
                                + " bytes in the partial aggregation");
                    }
                    return -1;
                }
                group = groupCount++;
            }
            if (size > lastKey.length) {
                lastKey = new byte[Math.max(size, 2 * lastKey.length)];
            }
            Platform.copyMemory(base, offset, lastKey, Platform.BYTE_ARRAY_OFFSET, size);
            lastKeySize = size;
            lastGroup = group;
            return group;
        }

        private void stage(int group, InternalRow row) {
            InternalRow pair = argumentsOf.apply(row);
            groups[staged] = group;
            for (int f = 0; f < functions; f++) {
                boolean skip = arguments.anyNull(pair, f) || (predicates[f] != null && !predicates[f].eval(row));
                skips[f][staged] = (byte) (skip ? 1 : 0);
                weights[f][staged] = skip ? 0.0 : arguments.weight(pair, f);
                values[f][staged] = skip ? 0.0 : arguments.value(pair, f);
            }
            if (++staged == BATCH) {
                flushStaged();
            }
        }

        private void flushStaged() {
            for (int f = 0; f < functions; f++) {
                sums[f].ensureGroups(groupCount);
                sums[f].addAll(groups, weights[f], values[f], skips[f], staged);
            }
            staged = 0;
        }

        /** One row a group held: the key, then each function's serialized state. */
        private Iterator<InternalRow> results() {
            BytesToBytesMap.MapIterator entries = map.iterator();
            GroupedSums[] held = sums;
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return entries.hasNext();
                }

                @Override
                public InternalRow next() {
                    BytesToBytesMap.Location entry = entries.next();
                    key.pointTo(entry.getKeyBase(), entry.getKeyOffset(), entry.getKeyLength());
                    int group = (int) Platform.getLong(entry.getValueBase(), entry.getValueOffset());
                    Object[] states = new Object[functions];
                    for (int f = 0; f < functions; f++) {
                        states[f] = held[f].takeSerialized(group);
                    }
                    return toOutput.apply(joined.apply(key, new GenericInternalRow(states)));
                }
            };
        }

        private void free() {
            if (map != null) {
                map.free();
                map = null;
            }
        }
    }
}
