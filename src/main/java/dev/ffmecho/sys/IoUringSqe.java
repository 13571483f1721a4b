package dev.ffmecho.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct io_uring_sqe} (linux/io_uring.h), 64 bytes, with the one name per union this code
 * uses ({@code addr2} for {@code off}; {@code rw_flags}, the union's first member, for
 * {@code msg_flags}/{@code accept_flags}; {@code buf_group} for {@code buf_index}), and the preparations of the
 * requests the event loop makes, after liburing's {@code io_uring_prep_*} (a slot is zeroed first,
 * so every field not named is 0).
 */
public final class IoUringSqe {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("addr2"), JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"), JAVA_INT.withName("rw_flags"), JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_group"), JAVA_SHORT.withName("personality"), JAVA_INT.withName("file_index"),
            JAVA_LONG.withName("addr3"), sequenceLayout(1, JAVA_LONG).withName("__pad2"));
    public static final long SIZE = LAYOUT.byteSize();

    private static final VarHandle OPCODE = LAYOUT.varHandle(groupElement("opcode"));
    private static final VarHandle FLAGS = LAYOUT.varHandle(groupElement("flags"));
    private static final VarHandle IOPRIO = LAYOUT.varHandle(groupElement("ioprio"));
    private static final VarHandle FD = LAYOUT.varHandle(groupElement("fd"));
    private static final VarHandle ADDR = LAYOUT.varHandle(groupElement("addr"));
    private static final VarHandle LEN = LAYOUT.varHandle(groupElement("len"));
    private static final VarHandle OP_FLAGS = LAYOUT.varHandle(groupElement("rw_flags"));
    private static final VarHandle USER_DATA = LAYOUT.varHandle(groupElement("user_data"));
    private static final VarHandle BUF_GROUP = LAYOUT.varHandle(groupElement("buf_group"));

    private static final long ADDR2_OFFSET = LAYOUT.byteOffset(groupElement("addr2"));

    private IoUringSqe() {}

    /** Zeroes the slot at byte {@code at} of the SQE array {@code sqes} and sets the common fields. */
    private static void prep(MemorySegment sqes, long at, int opcode, int fd, long addr, int len, long userData) {
        for (long b = 0; b < SIZE; b += JAVA_LONG.byteSize()) sqes.set(JAVA_LONG, at + b, 0L);
        OPCODE.set(sqes, at, (byte) opcode);
        FD.set(sqes, at, fd);
        ADDR.set(sqes, at, addr);
        LEN.set(sqes, at, len);
        USER_DATA.set(sqes, at, userData);
    }

    /** Multishot accept4(fd, NULL, NULL, flags): one completion per connection, until an error ends it. */
    public static void acceptMultishot(MemorySegment sqes, long at, int fd, int flags, long userData) {
        prep(sqes, at, IoUring.IORING_OP_ACCEPT, fd, 0L, 0, userData);
        IOPRIO.set(sqes, at, (short) IoUring.IORING_ACCEPT_MULTISHOT);
        OP_FLAGS.set(sqes, at, flags);
    }

    /** Multishot recv into buffers the kernel picks from provided-buffer group {@code group}. */
    public static void recvMultishot(MemorySegment sqes, long at, int fd, int group, long userData) {
        prep(sqes, at, IoUring.IORING_OP_RECV, fd, 0L, 0, userData);
        IOPRIO.set(sqes, at, (short) IoUring.IORING_RECV_MULTISHOT);
        FLAGS.set(sqes, at, (byte) IoUring.IOSQE_BUFFER_SELECT);
        BUF_GROUP.set(sqes, at, (short) group);
    }

    /** send(fd, addr, len, flags): {@code len} bytes at native address {@code addr}. */
    public static void send(MemorySegment sqes, long at, int fd, long addr, int len, int flags, long userData) {
        prep(sqes, at, IoUring.IORING_OP_SEND, fd, addr, len, userData);
        OP_FLAGS.set(sqes, at, flags);
    }

    /** read(fd, into, into.byteSize()) at the current position (offset -1): the wake-up eventfd's counter. */
    public static void read(MemorySegment sqes, long at, int fd, MemorySegment into, long userData) {
        prep(sqes, at, IoUring.IORING_OP_READ, fd, into.address(), (int) into.byteSize(), userData);
        sqes.set(JAVA_LONG, at + ADDR2_OFFSET, -1L);
    }

    /** Cancels the request whose user_data is {@code target} (its own completion says -ECANCELED). */
    public static void cancel(MemorySegment sqes, long at, long target, long userData) {
        prep(sqes, at, IoUring.IORING_OP_ASYNC_CANCEL, -1, target, 0, userData);
    }

    public static int opcode(MemorySegment sqes, long at) { return Byte.toUnsignedInt((byte) OPCODE.get(sqes, at)); }
    public static int ioprio(MemorySegment sqes, long at) { return Short.toUnsignedInt((short) IOPRIO.get(sqes, at)); }
    public static int fd(MemorySegment sqes, long at) { return (int) FD.get(sqes, at); }
    public static long addr(MemorySegment sqes, long at) { return (long) ADDR.get(sqes, at); }
    public static int len(MemorySegment sqes, long at) { return (int) LEN.get(sqes, at); }
    public static int opFlags(MemorySegment sqes, long at) { return (int) OP_FLAGS.get(sqes, at); }
    public static long userData(MemorySegment sqes, long at) { return (long) USER_DATA.get(sqes, at); }
    public static int bufGroup(MemorySegment sqes, long at) { return Short.toUnsignedInt((short) BUF_GROUP.get(sqes, at)); }
}
