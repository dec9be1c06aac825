package io.wavg.spark.source.parquet;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Off-heap page buffers that are freed when the reader closes, not whenever the garbage collector
 * gets round to it: a task's direct memory then stays at its few page buffers.
 */
final class DirectBuffers {
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private DirectBuffers() {}

    private static sun.misc.Unsafe unsafe() {
        try {
            Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return (sun.misc.Unsafe) field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // then buffers are left to the garbage collector
        }
    }

    static ByteBuffer allocate(int capacity) {
        return ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A buffer of at least {@code capacity} bytes: {@code current} if it is large enough, else a new one. */
    static ByteBuffer atLeast(ByteBuffer current, int capacity) {
        if (current != null && current.capacity() >= capacity) {
            return current.clear();
        }
        free(current);
        // grow by half again so a chunk whose pages creep up in size reallocates a few times, not per page
        return allocate(Math.max(capacity, current == null ? 0 : (int) Math.min(Integer.MAX_VALUE - 8,
                current.capacity() + (long) current.capacity() / 2)));
    }

    static void free(ByteBuffer buffer) {
        if (buffer != null && buffer.isDirect() && UNSAFE != null) {
            UNSAFE.invokeCleaner(buffer);
        }
    }
}
