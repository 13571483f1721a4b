package dev.ffmecho.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct io_uring_params} with its {@code io_sqring_offsets} and {@code io_cqring_offsets}
 * (linux/io_uring.h): what io_uring_setup(2) takes (entries, flags) and returns (sizes, features,
 * and where in the mapped rings each field lives).
 */
public final class IoUringParams {
    public static final StructLayout SQ_OFFSETS = structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("resv2"));
    public static final StructLayout CQ_OFFSETS = structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("resv2"));
    public static final StructLayout LAYOUT = structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), sequenceLayout(3, JAVA_INT).withName("resv"),
            SQ_OFFSETS.withName("sq_off"), CQ_OFFSETS.withName("cq_off"));

    private static final VarHandle SQ_ENTRIES = LAYOUT.varHandle(groupElement("sq_entries"));
    private static final VarHandle CQ_ENTRIES = LAYOUT.varHandle(groupElement("cq_entries"));
    private static final VarHandle FLAGS = LAYOUT.varHandle(groupElement("flags"));
    private static final VarHandle FEATURES = LAYOUT.varHandle(groupElement("features"));

    private IoUringParams() {}

    public static int sqEntries(MemorySegment p) { return (int) SQ_ENTRIES.get(p, 0L); }
    public static int cqEntries(MemorySegment p) { return (int) CQ_ENTRIES.get(p, 0L); }
    public static int flags(MemorySegment p) { return (int) FLAGS.get(p, 0L); }
    public static void setFlags(MemorySegment p, int flags) { FLAGS.set(p, 0L, flags); }
    public static int features(MemorySegment p) { return (int) FEATURES.get(p, 0L); }

    /** {@code sq_off.<field>}: a byte offset into the mapped SQ ring. */
    public static int sqOffset(MemorySegment p, String field) {
        return p.get(JAVA_INT, LAYOUT.byteOffset(groupElement("sq_off"), groupElement(field)));
    }

    /** {@code cq_off.<field>}: a byte offset into the mapped CQ ring. */
    public static int cqOffset(MemorySegment p, String field) {
        return p.get(JAVA_INT, LAYOUT.byteOffset(groupElement("cq_off"), groupElement(field)));
    }
}
