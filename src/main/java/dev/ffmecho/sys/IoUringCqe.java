package dev.ffmecho.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code struct io_uring_cqe} (linux/io_uring.h), 16 bytes: whose request, its result, its flags. */
public final class IoUringCqe {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"));
    public static final long SIZE = LAYOUT.byteSize();

    private static final VarHandle USER_DATA = LAYOUT.varHandle(groupElement("user_data"));
    private static final VarHandle RES = LAYOUT.varHandle(groupElement("res"));
    private static final VarHandle FLAGS = LAYOUT.varHandle(groupElement("flags"));

    private IoUringCqe() {}

    public static long userData(MemorySegment cqes, long offset) { return (long) USER_DATA.get(cqes, offset); }

    /** The result: what the call would have returned, {@code -errno} on failure. */
    public static int res(MemorySegment cqes, long offset) { return (int) RES.get(cqes, offset); }

    public static int flags(MemorySegment cqes, long offset) { return (int) FLAGS.get(cqes, offset); }

    /** The provided buffer a completion used (valid with {@link IoUring#IORING_CQE_F_BUFFER}). */
    public static int bufferId(int flags) {
        return flags >>> IoUring.IORING_CQE_BUFFER_SHIFT;
    }
}
