package io.wavg.spark.merge;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.memory.MemoryConsumer;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.memory.TaskMemoryManager;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.UnsafeKVExternalSorter;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.map.BytesToBytesMap;

import io.wavg.spark.Plans;
import io.wavg.spark.WeightedSumAggregate;
import io.wavg.state.WeightedSum;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What a task of {@link HashMergeExec} runs: no reference to the plan, so only these fields travel to
 * executors.
 */
record HashMerge(Seq<NamedExpression> grouping, Seq<Attribute> input, List<WeightedSumAggregate.Output> outputs,
                 int[] stateOrdinals, Seq<Attribute> aggregateAttributes, Seq<NamedExpression> results,
                 int maxGroups, Map<String, SQLMetric> metrics) implements Serializable {
    /**
     * What a group's exact sums cost on the heap beyond the map's key bytes, per function: the sum
     * object and two digit windows of a few digits each.
     */
    private static final long BYTES_PER_STATE = 200;
    /** Digits each sum of a group's state has room for from the start: typical data needs 3 or 4. */
    private static final int DIGIT_CAPACITY = 8;
    /** Heap reserved from the task's memory manager at a time. */
    private static final long RESERVATION = 1 << 20;

    Iterator<InternalRow> merge(Iterator<InternalRow> rows) {
        Task task = new Task(TaskContext.get());
        while (rows.hasNext()) {
            task.add(rows.next());
        }
        return task.results();
    }

    @SuppressWarnings("unchecked")
    private static Seq<Expression> expressions(Seq<NamedExpression> expressions) {
        return (Seq<Expression>) (Seq<?>) expressions;
    }

    /** One task's groups: key bytes to group ids in Spark's map, each group's exact sums on the heap. */
    private final class Task {
        private final int functions = outputs.size();
        private final TaskMemoryManager memoryManager;
        private final StateMemory memory;
        private final UnsafeProjection keyOf;
        private final UnsafeProjection resultOf;
        private final UnsafeProjection stateRowOf;
        private final StructType keySchema;
        private final StructType stateSchema;
        private final UnsafeRow key;
        private final byte[] id = new byte[8];
        private final JoinedRow joined = new JoinedRow();
        private BytesToBytesMap map;
        private WeightedSum[] sums = new WeightedSum[0];
        private int groups;
        private UnsafeKVExternalSorter sorter;

        Task(TaskContext context) {
            memoryManager = context.taskMemoryManager();
            memory = new StateMemory(memoryManager);
            List<Attribute> groupingAttributes = CollectionConverters.asJava(grouping).stream()
                    .map(NamedExpression::toAttribute).toList();
            keyOf = UnsafeProjection.create(expressions(grouping), input);
            List<Attribute> resultInput = new java.util.ArrayList<>(groupingAttributes);
            resultInput.addAll(CollectionConverters.asJava(aggregateAttributes));
            resultOf = UnsafeProjection.create(expressions(results), Plans.seq(resultInput));
            keySchema = DataTypeUtils.fromAttributes(Plans.seq(groupingAttributes));
            StructField[] stateFields = new StructField[functions];
            for (int f = 0; f < functions; f++) {
                stateFields[f] = DataTypes.createStructField("state" + f, DataTypes.BinaryType, true);
            }
            stateSchema = new StructType(stateFields);
            stateRowOf = UnsafeProjection.create(stateSchema);
            key = new UnsafeRow(groupingAttributes.size());
            map = newMap();
            context.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) done -> free());
        }

        private BytesToBytesMap newMap() {
            return new BytesToBytesMap(memoryManager, 1 << 16, memoryManager.pageSizeBytes());
        }

        void add(InternalRow row) {
            UnsafeRow rowKey = keyOf.apply(row);
            BytesToBytesMap.Location at = map.lookup(rowKey.getBaseObject(), rowKey.getBaseOffset(),
                    rowKey.getSizeInBytes());
            int group;
            if (at.isDefined()) {
                group = (int) Platform.getLong(at.getValueBase(), at.getValueOffset());
            } else {
                if (groups >= maxGroups || !memory.reserveFor(groups + 1L)) {
                    toSorter(true);
                    at = map.lookup(rowKey.getBaseObject(), rowKey.getBaseOffset(), rowKey.getSizeInBytes());
                }
                if (!appendGroup(at, rowKey)) {
                    toSorter(true); // the map could not grow: an empty one can
                    at = map.lookup(rowKey.getBaseObject(), rowKey.getBaseOffset(), rowKey.getSizeInBytes());
                    if (!appendGroup(at, rowKey)) {
                        throw new IllegalStateException("weighted_avg: no memory for one group's key of "
                                + rowKey.getSizeInBytes() + " bytes in the final merge");
                    }
                }
                group = groups++;
                if (functions * groups > sums.length) {
                    sums = Arrays.copyOf(sums, Math.max(16 * functions, 2 * sums.length));
                }
                for (int f = 0; f < functions; f++) {
                    sums[functions * group + f] = new WeightedSum(DIGIT_CAPACITY);
                }
            }
            for (int f = 0; f < functions; f++) {
                if (!row.isNullAt(stateOrdinals[f])) {
                    merge(sums[functions * group + f], row, stateOrdinals[f]);
                }
            }
            metrics.get("statesMerged").add(1);
        }

        /** Puts a new group's key in the map, its value the next group id; false if the map cannot grow. */
        private boolean appendGroup(BytesToBytesMap.Location at, UnsafeRow rowKey) {
            Platform.putLong(id, Platform.BYTE_ARRAY_OFFSET, groups);
            return at.append(rowKey.getBaseObject(), rowKey.getBaseOffset(), rowKey.getSizeInBytes(),
                    id, Platform.BYTE_ARRAY_OFFSET, id.length);
        }

        /** Merges a row's serialized state, read in place where the row's bytes are on the heap. */
        private static void merge(WeightedSum sum, InternalRow row, int ordinal) {
            if (row instanceof UnsafeRow unsafe && unsafe.getBaseObject() instanceof byte[] bytes) {
                long offsetAndSize = unsafe.getLong(ordinal);
                long start = unsafe.getBaseOffset() + (offsetAndSize >>> 32) - Platform.BYTE_ARRAY_OFFSET;
                sum.mergeSerialized(bytes, (int) start, (int) offsetAndSize);
            } else {
                sum.mergeSerialized(row.getBinary(ordinal));
            }
        }

        /**
         * The groups held, as (key, serialized states) rows, into the sorter; with {@code more} to come
         * the map starts afresh, else it is freed.
         */
        private void toSorter(boolean more) {
            // the sorter needs memory before the map and the sums let theirs go, and neither can spill:
            // the sums' reservation goes first (their objects go right after), so the sorter can start
            memory.releaseAll();
            try {
                if (sorter == null) {
                    SparkEnv env = SparkEnv.get();
                    sorter = new UnsafeKVExternalSorter(keySchema, stateSchema, env.blockManager(),
                            env.serializerManager(), memoryManager.pageSizeBytes(),
                            env.conf().getInt("spark.shuffle.spill.numElementsForceSpillThreshold", Integer.MAX_VALUE),
                            env.conf().getLong("spark.shuffle.spill.maxRecordsSizeForSpillThreshold", Long.MAX_VALUE));
                }
                BytesToBytesMap.MapIterator entries = map.iterator();
                while (entries.hasNext()) {
                    BytesToBytesMap.Location entry = entries.next();
                    key.pointTo(entry.getKeyBase(), entry.getKeyOffset(), entry.getKeyLength());
                    int group = (int) Platform.getLong(entry.getValueBase(), entry.getValueOffset());
                    Object[] states = new Object[functions];
                    for (int f = 0; f < functions; f++) {
                        states[f] = sums[functions * group + f].serialize();
                    }
                    sorter.insertKV(key, stateRowOf.apply(new GenericInternalRow(states)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            map.free();
            if (more) {
                map = newMap();
            }
            sums = new WeightedSum[0];
            groups = 0;
            metrics.get("spills").add(1);
        }

        Iterator<InternalRow> results() {
            if (sorter == null) {
                return fromMap();
            }
            toSorter(false);
            metrics.get("spillSize").add(sorter.getSpillSize());
            metrics.get("peakMemory").add(sorter.getPeakMemoryUsedBytes());
            try {
                return fromSorter(sorter.sortedIterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Iterator<InternalRow> fromMap() {
            metrics.get("peakMemory").add(map.getPeakMemoryUsedBytes());
            BytesToBytesMap.MapIterator entries = map.iterator();
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
                    Object[] values = new Object[functions];
                    for (int f = 0; f < functions; f++) {
                        values[f] = WeightedSumAggregate.result(sums[functions * group + f], outputs.get(f));
                        sums[functions * group + f] = null; // spent: its heap goes as the rows do
                    }
                    return result(key, values);
                }
            };
        }

        /** Runs of equal keys from the sorter, each merged into one group. */
        private Iterator<InternalRow> fromSorter(UnsafeKVExternalSorter.KVSorterIterator sorted) throws IOException {
            boolean any = sorted.next();
            return new Iterator<>() {
                private boolean more = any;
                private final WeightedSum[] merged = new WeightedSum[functions];

                @Override
                public boolean hasNext() {
                    return more;
                }

                @Override
                public InternalRow next() {
                    if (!more) {
                        throw new NoSuchElementException();
                    }
                    UnsafeRow groupKey = sorted.getKey().copy();
                    for (int f = 0; f < functions; f++) {
                        merged[f] = new WeightedSum();
                    }
                    try {
                        do {
                            UnsafeRow states = sorted.getValue();
                            for (int f = 0; f < functions; f++) {
                                merged[f].mergeSerialized(states.getBinary(f));
                            }
                            more = sorted.next();
                        } while (more && sorted.getKey().equals(groupKey));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    Object[] values = new Object[functions];
                    for (int f = 0; f < functions; f++) {
                        values[f] = WeightedSumAggregate.result(merged[f], outputs.get(f));
                    }
                    return result(groupKey, values);
                }
            };
        }

        private InternalRow result(UnsafeRow groupKey, Object[] values) {
            metrics.get("numOutputRows").add(1);
            return resultOf.apply(joined.apply(groupKey, new GenericInternalRow(values)));
        }

        private void free() {
            map.free();
            memory.releaseAll();
            if (sorter != null) {
                sorter.cleanupResources();
            }
        }
    }

    /**
     * The heap the groups' exact sums take, reserved from the task's memory manager so that the merge
     * shares the task's execution memory with Spark's own operators; it cannot be spilled on request,
     * the merge hands its groups to the sorter itself when a reservation is refused.
     */
    private final class StateMemory extends MemoryConsumer {
        private long reserved;

        StateMemory(TaskMemoryManager memoryManager) {
            super(memoryManager, MemoryMode.ON_HEAP);
        }

        /** Whether the sums of this many groups fit in what is reserved, reserving more if not. */
        boolean reserveFor(long groups) {
            long needed = groups * outputs.size() * BYTES_PER_STATE;
            if (needed <= reserved) {
                return true;
            }
            long granted = acquireMemory(RESERVATION);
            reserved += granted;
            return needed <= reserved;
        }

        void releaseAll() {
            freeMemory(reserved);
            reserved = 0;
        }

        @Override
        public long spill(long size, MemoryConsumer trigger) {
            return 0;
        }
    }
}
