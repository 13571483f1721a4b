package dev.ffmecho.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <linux/io_uring.h>}: constants and the three system calls, raw. glibc has no wrappers for
 * them (liburing is a library of its own, and not used here), so each is made through libc's
 * variadic {@code long syscall(long number, ...)}, every argument passed as a full register. The
 * structs are {@link IoUringParams}, {@link IoUringSqe}, {@link IoUringCqe} and
 * {@link IoUringBufRing}; the mapped rings are {@link IoUringRings}.
 */
public final class IoUring {
    /** x86_64 syscall numbers ({@code <sys/syscall.h>}); io_uring has the same numbers on every architecture. */
    public static final int SYS_io_uring_setup = 425;
    public static final int SYS_io_uring_enter = 426;
    public static final int SYS_io_uring_register = 427;

    // io_uring_setup(2) flags
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    // io_uring_params.features
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;

    // mmap(2) offsets of the three regions
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // io_uring_enter(2) flags
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;

    // opcodes (enum io_uring_op)
    public static final int IORING_OP_ACCEPT = 13;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_SEND = 26;
    public static final int IORING_OP_RECV = 27;

    // sqe.flags
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    // sqe.ioprio of accept and recv
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    public static final int IORING_RECV_MULTISHOT = 1 << 1;

    // cqe.flags
    public static final int IORING_CQE_F_BUFFER = 1;
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // io_uring_register(2) opcodes
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_PBUF_RING = 22;
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    public static final int IO_URING_OP_SUPPORTED = 1;

    private static final MethodHandle SETUP = syscall(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle ENTER = syscall(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle REGISTER = syscall(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));

    private IoUring() {}

    /** {@code syscall(2)}: the number is the one fixed argument, the rest are variadic. */
    private static MethodHandle syscall(FunctionDescriptor descriptor) {
        return Downcalls.errnoCapturing("syscall", descriptor, Linker.Option.firstVariadicArg(1));
    }

    /** io_uring_setup(2): the ring fd, or {@code -errno}; the kernel fills in {@code params}. */
    public static int setup(int entries, MemorySegment params) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = (int) Downcalls.resultOrErrno((long) SETUP.invokeExact(state, (long) SYS_io_uring_setup, (long) entries, params), state);
            if (Narrator.ENABLED) Narrator.ioUringSetup(entries, params, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * io_uring_enter(2): submits {@code toSubmit} SQEs and, with {@link #IORING_ENTER_GETEVENTS},
     * waits for {@code minComplete} completions. {@code arg} is NULL or, with
     * {@link #IORING_ENTER_EXT_ARG}, a {@code struct io_uring_getevents_arg} of {@code argSize} bytes.
     * @return the number of SQEs consumed, or {@code -errno} (ETIME when the wait timed out)
     */
    public static int enter(int fd, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSize) {
        MemorySegment state = Downcalls.callState();
        try {
            return (int) Downcalls.resultOrErrno((long) ENTER.invokeExact(state, (long) SYS_io_uring_enter,
                    (long) fd, (long) toSubmit, (long) minComplete, (long) flags, arg, argSize), state);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** io_uring_register(2): 0 (or a positive count) or {@code -errno}. */
    public static int register(int fd, int opcode, MemorySegment arg, int nrArgs) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = (int) Downcalls.resultOrErrno((long) REGISTER.invokeExact(state, (long) SYS_io_uring_register,
                    (long) fd, (long) opcode, arg, (long) nrArgs), state);
            if (Narrator.ENABLED) Narrator.ioUringRegister(fd, opcode, nrArgs, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
