package io.wavg.spark.grouping;

import java.util.Arrays;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.vectorized.ColumnarBatch;

import io.wavg.spark.columnar.VectorAccess;

/**
 * Dense ids 0, 1, 2, … for the GROUP BY keys met in one split, in order of first appearance, found a
 * batch at a time. Each key column's values become long codes ({@link KeyCodes}); one key's code, two
 * keys' int-sized codes packed into one long (as a string symbol and a day), or several keys' codes
 * and NULL flags together, map to an id through open addressing over primitive arrays, so no row and
 * no group makes an object.
 */
public final class GroupIndex {
    /** The most ids a direct-address table takes (16 MB of ints). */
    static final int DIRECT_LIMIT = 1 << 22;
    /** The most ids a table placed from a first batch's codes grows to (8 MB of ints). */
    static final int LEARNT_LIMIT = 1 << 21;
    /** A placed table grows to a code only while it spans at most this many codes per group met. */
    private static final int LEARNT_SPAN_PER_GROUP = 8;
    private static final int EMPTY = -1;

    private final int[] columns;
    private final KeyCodes[] keyCodes;
    private final long[][] codes;        // per key column, the codes of the batch's rows
    private final byte[][] nulls;        // per key column, the batch's NULL flags, or null without NULLs
    private final int width;             // key columns
    private long directMin;              // a single key's codes from directMin on have a direct table
    private int[] directIds;
    private boolean learnsRange;         // a single key without statistics: its first batch may place a table
    private boolean learnt;              // the table was placed so: it grows while dense, and may miss hashed codes
    private int directLimit;             // the length the direct table may grow to
    private final boolean packed;        // two keys with int-sized codes: rows without NULLs pack them
    // open addressing, a slot's hash (a single key's code itself) and id side by side: one cache line a probe
    private long[] slots = emptySlots(1024);
    private int slotMask = 1023;
    private int hashed;                  // groups in the slots
    private int tuples;                  // of them, groups with a NULL key or of several keys
    private long[] keys = new long[256]; // per group, its codes one after another
    private long[] nullMasks = new long[16]; // per group, bit c set when key column c is NULL
    private int size;
    private int nullGroup = EMPTY;       // a single key's NULL

    /**
     * @param keyRange {min, max} of a single integral key from the statistics, or null when unknown
     * @param rows     how many rows will be looked up, so a sparse range does not get a large table
     */
    public static GroupIndex of(int[] keyColumns, DataType[] keyTypes, long[] keyRange, long rows) {
        KeyCodes[] codes = new KeyCodes[keyTypes.length];
        for (int k = 0; k < codes.length; k++) {
            codes[k] = KeyCodes.of(keyTypes[k]);
        }
        if (keyColumns.length == 1 && codes[0].dense()) {
            return new GroupIndex(keyColumns, codes, 0, 1024, true);
        }
        long span = keyRange == null || keyColumns.length != 1 ? Long.MAX_VALUE : keyRange[1] - keyRange[0] + 1;
        boolean direct = span > 0 && span <= Math.min(DIRECT_LIMIT, Math.max(1 << 16, 4 * rows));
        GroupIndex index = new GroupIndex(keyColumns, codes, direct ? keyRange[0] : 0, direct ? (int) span : 0, false);
        index.learnsRange = keyColumns.length == 1 && keyRange == null;
        return index;
    }

    private GroupIndex(int[] columns, KeyCodes[] keyCodes, long directMin, int directSpan, boolean directGrows) {
        if (columns.length > Long.SIZE) {
            throw new IllegalArgumentException(columns.length + " GROUP BY keys; at most " + Long.SIZE);
        }
        this.columns = columns;
        this.keyCodes = keyCodes;
        this.width = columns.length;
        this.codes = new long[width][0];
        this.nulls = new byte[width][];
        this.directMin = directMin;
        this.directIds = directSpan > 0 ? filled(directSpan) : null;
        this.directLimit = directGrows ? DIRECT_LIMIT : directSpan;
        this.packed = width == 2 && keyCodes[0].narrow() && keyCodes[1].narrow();
    }

    private static long[] emptySlots(int n) {
        long[] slots = new long[2 * n];
        for (int i = 1; i < slots.length; i += 2) {
            slots[i] = EMPTY;
        }
        return slots;
    }

    private static int[] filled(int n) {
        int[] ids = new int[n];
        Arrays.fill(ids, EMPTY);
        return ids;
    }

    /**
     * The ids of rows 0..n-1 of a batch into {@code groups}, -1 where {@code excluded} (null for none)
     * is non-zero; an excluded row's key makes no group.
     */
    public void groupsOf(ColumnarBatch batch, int n, byte[] excluded, int[] groups) {
        for (int k = 0; k < width; k++) {
            if (codes[k].length < n) {
                codes[k] = new long[Math.max(n, 2 * codes[k].length)];
            }
            nulls[k] = VectorAccess.nulls(batch.column(columns[k]), n);
            keyCodes[k].codes(batch, columns[k], n, codes[k]);
        }
        if (width == 1) {
            long[] keyCodes = codes[0];
            byte[] keyNulls = nulls[0];
            if (learnsRange) {
                learnsRange = false;
                learnRange(keyCodes, keyNulls, excluded, n);
            }
            for (int i = 0; i < n; i++) {
                groups[i] = excluded != null && excluded[i] != 0 ? EMPTY
                        : keyNulls != null && keyNulls[i] != 0 ? nullGroup() : single(keyCodes[i]);
            }
            return;
        }
        if (packed) {
            long[] first = codes[0];
            long[] second = codes[1];
            byte[] firstNulls = nulls[0];
            byte[] secondNulls = nulls[1];
            for (int i = 0; i < n; i++) {
                // rows with a NULL key go through the tuple table, apart from every packed key
                groups[i] = excluded != null && excluded[i] != 0 ? EMPTY
                        : firstNulls != null && firstNulls[i] != 0 || secondNulls != null && secondNulls[i] != 0
                        ? tuple(i) : hashedId(first[i] << 32 | second[i] & 0xffffffffL);
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            groups[i] = excluded != null && excluded[i] != 0 ? EMPTY : tuple(i);
        }
    }

    /**
     * Places a direct table for the codes of a first batch when they are small or close together:
     * integer keys such as ids span little more than their count, and then a row's id is one read of a
     * small array instead of a probe of the much larger slots. The table starts at 0 for small
     * non-negative codes (a split of ids taken in order starts anywhere in their range), else a little
     * below the batch's smallest, and grows while the groups keep it dense; codes outside it hash.
     */
    private void learnRange(long[] keyCodes, byte[] keyNulls, byte[] excluded, int n) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            if ((excluded == null || excluded[i] == 0) && (keyNulls == null || keyNulls[i] == 0)) {
                min = Math.min(min, keyCodes[i]);
                max = Math.max(max, keyCodes[i]);
            }
        }
        // far from the ends of the long range, so code - directMin cannot wrap into the table
        if (min > max || min < Long.MIN_VALUE / 4 || max > Long.MAX_VALUE / 4) {
            return;
        }
        long from = min >= 0 && max < LEARNT_LIMIT ? 0 : min - Math.min(min - Long.MIN_VALUE / 4, 1024);
        if (max - from < LEARNT_LIMIT) {
            directMin = from;
            directIds = filled((int) (max - from + 1));
            directLimit = LEARNT_LIMIT;
            learnt = true;
        }
    }

    public int size() {
        return size;
    }

    /** The key values of a group, as Spark's internal values. */
    public Object[] key(int group) {
        Object[] values = new Object[width];
        if (width == 1 && group == nullGroup) {
            return values;
        }
        for (int k = 0; k < width; k++) {
            boolean isNull = (nullMasks[group] >>> k & 1) != 0;
            values[k] = isNull ? null : keyCodes[k].value(keys[width * group + k]);
        }
        return values;
    }

    private int nullGroup() {
        if (nullGroup == EMPTY) {
            nullGroup = add(0L);
            nullMasks[nullGroup] = 1;
        }
        return nullGroup;
    }

    /** The id of a single key's code. */
    private int single(long code) {
        long offset = code - directMin;
        if (directIds != null && offset >= 0 && (offset < directIds.length || growsTo(offset))) {
            int id = directIds[(int) offset];
            if (id == EMPTY) {
                // a learnt table may have grown over a code that hashed before
                id = learnt && hashed > 0 ? hashedIdIfAny(code) : EMPTY;
                directIds[(int) offset] = id = id == EMPTY ? add(code) : id;
            }
            return id;
        }
        return hashedId(code);
    }

    /** Grows the direct table to cover an offset, if it may. */
    private boolean growsTo(long offset) {
        if (offset >= directLimit || learnt && offset >= LEARNT_SPAN_PER_GROUP * (size + 1L)) {
            return false;
        }
        int old = directIds.length;
        directIds = Arrays.copyOf(directIds, (int) Math.min(directLimit, Math.max(offset + 1, 2L * old)));
        Arrays.fill(directIds, old, directIds.length, EMPTY);
        return true;
    }

    /**
     * The id of a code that is the whole key: a single key's code, or two keys' codes packed. Slots of
     * groups with a NULL key (tuples) hold hashes instead, so those never match here.
     */
    private int hashedId(long code) {
        for (int slot = mix(code) & slotMask; ; slot = (slot + 1) & slotMask) {
            int id = (int) slots[2 * slot + 1];
            if (id == EMPTY) {
                id = add(code);
                fill(slot, code, id);
                return id;
            }
            if (slots[2 * slot] == code && (tuples == 0 || nullMasks[id] == 0)) {
                return id;
            }
        }
    }

    /** The id a single key's code has in the slots, or EMPTY. */
    private int hashedIdIfAny(long code) {
        for (int slot = mix(code) & slotMask; ; slot = (slot + 1) & slotMask) {
            int id = (int) slots[2 * slot + 1];
            if (id == EMPTY || slots[2 * slot] == code) {
                return id;
            }
        }
    }

    /** The id of row i's codes and NULL flags over several key columns. */
    private int tuple(int row) {
        long nullMask = 0;
        long hash = 0;
        for (int k = 0; k < width; k++) {
            boolean isNull = nulls[k] != null && nulls[k][row] != 0;
            nullMask |= isNull ? 1L << k : 0;
            hash = (hash + (isNull ? 0 : codes[k][row])) * 0x9E3779B97F4A7C15L;
        }
        hash ^= nullMask;
        for (int slot = mix(hash) & slotMask; ; slot = (slot + 1) & slotMask) {
            int id = (int) slots[2 * slot + 1];
            if (id == EMPTY) {
                id = add(0L);
                for (int k = 0; k < width; k++) {
                    boolean isNull = (nullMask >>> k & 1) != 0;
                    keys[width * id + k] = isNull ? 0 : codes[k][row];
                }
                nullMasks[id] = nullMask;
                tuples++;
                fill(slot, hash, id);
                return id;
            }
            if (slots[2 * slot] == hash && sameKey(id, row, nullMask)) {
                return id;
            }
        }
    }

    private boolean sameKey(int group, int row, long nullMask) {
        if (nullMasks[group] != nullMask) {
            return false;
        }
        for (int k = 0; k < width; k++) {
            if ((nullMask >>> k & 1) == 0 && keys[width * group + k] != codes[k][row]) {
                return false;
            }
        }
        return true;
    }

    /** A new group; a single key's code, or two packed codes, are stored (a tuple stores its own). */
    private int add(long code) {
        if (width * (size + 1) > keys.length) {
            keys = Arrays.copyOf(keys, 2 * keys.length + width);
        }
        if (size == nullMasks.length) {
            nullMasks = Arrays.copyOf(nullMasks, 2 * size);
        }
        if (width == 1) {
            keys[size] = code;
        } else if (packed) { // both halves sign-extend back to the int-sized codes
            keys[2 * size] = code >> 32;
            keys[2 * size + 1] = (int) code;
        }
        return size++;
    }

    /** Puts a new group in a free slot; the slots double at half full. */
    private void fill(int slot, long hash, int id) {
        slots[2 * slot] = hash;
        slots[2 * slot + 1] = id;
        if (2 * ++hashed <= slotMask + 1) {
            return;
        }
        long[] old = slots;
        slots = emptySlots(2 * (slotMask + 1));
        slotMask = 2 * slotMask + 1;
        for (int i = 0; i < old.length; i += 2) {
            if (old[i + 1] != EMPTY) {
                int to = mix(old[i]) & slotMask;
                while (slots[2 * to + 1] != EMPTY) {
                    to = (to + 1) & slotMask;
                }
                slots[2 * to] = old[i];
                slots[2 * to + 1] = old[i + 1];
            }
        }
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
