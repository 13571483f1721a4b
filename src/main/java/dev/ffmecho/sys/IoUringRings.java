package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One io_uring instance: its fd, and its submission queue, completion queue and SQE array mapped
 * into this process (io_uring_setup(2), "mmap"). Confined to one thread, the loop's: set up with
 * {@link IoUring#IORING_SETUP_SINGLE_ISSUER} where the kernel has it, this thread is the only one
 * that may submit.
 *
 * <p>The rings are shared with the kernel without a lock. Each queue has a head and a tail; the
 * producer writes entries, then publishes its tail with a release store, and the consumer reads
 * the tail with an acquire load before it reads the entries (io_uring.h: "the application must use
 * a release store ... and an acquire load"; liburing's {@code io_uring_smp_store_release}). Here
 * the producer of SQEs and consumer of CQEs is this class; the kernel is the other side of each.
 */
public final class IoUringRings implements AutoCloseable {
    private static final VarHandle INT = JAVA_INT.varHandle();

    /**
     * The setup flags tried, newest first (io_uring_setup(2) fails with EINVAL on a flag it does
     * not know): DEFER_TASKRUN (6.1) runs completion work only when this thread enters the kernel
     * to wait, SINGLE_ISSUER (6.0) lets the kernel skip locking for a ring one thread submits to,
     * COOP_TASKRUN (5.19) stops the kernel interrupting the thread to post a completion, SUBMIT_ALL
     * (5.18) submits the rest of a batch when one SQE fails.
     */
    public static final int[] SETUP_FLAGS_NEWEST_FIRST = {
        IoUring.IORING_SETUP_SINGLE_ISSUER | IoUring.IORING_SETUP_DEFER_TASKRUN | IoUring.IORING_SETUP_COOP_TASKRUN
                | IoUring.IORING_SETUP_SUBMIT_ALL,
        IoUring.IORING_SETUP_SINGLE_ISSUER | IoUring.IORING_SETUP_COOP_TASKRUN | IoUring.IORING_SETUP_SUBMIT_ALL,
        IoUring.IORING_SETUP_COOP_TASKRUN | IoUring.IORING_SETUP_SUBMIT_ALL,
        0,
    };

    public final int fd;
    private final int setupFlags;
    private final int features;
    private final int sqEntries;
    private final int sqMask;
    private final int cqMask;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;  // the same mapping as sqRing with IORING_FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final MemorySegment cqes;
    private final long sqHead;
    private final long sqTail;
    private final long cqHead;
    private final long cqTail;
    /** The SQ tail as this thread has filled it; published to the kernel at {@link #submitAndWait}. */
    private int sqTailLocal;
    private int cqHeadLocal;
    /** {@code struct io_uring_getevents_arg} and the {@code __kernel_timespec} it points to, for waits with a timeout. */
    private final Arena waitArgArena = Arena.ofConfined();
    private final MemorySegment waitArg = waitArgArena.allocate(24, 8);
    private final MemorySegment timespec = waitArgArena.allocate(16, 8);
    private final boolean[] supportedOps;

    private IoUringRings(int fd, MemorySegment params) throws SyscallException {
        this.fd = fd;
        this.setupFlags = IoUringParams.flags(params);
        this.features = IoUringParams.features(params);
        this.sqEntries = IoUringParams.sqEntries(params);
        int cqEntries = IoUringParams.cqEntries(params);
        long sqSize = IoUringParams.sqOffset(params, "array") + (long) sqEntries * JAVA_INT.byteSize();
        long cqSize = IoUringParams.cqOffset(params, "cqes") + cqEntries * IoUringCqe.SIZE;
        boolean single = (features & IoUring.IORING_FEAT_SINGLE_MMAP) != 0;
        MemorySegment sq = null;
        MemorySegment cq = null;
        MemorySegment entries = null;
        try {
            sq = Mman.mapShared(fd, single ? Math.max(sqSize, cqSize) : sqSize, IoUring.IORING_OFF_SQ_RING);
            cq = single ? sq : Mman.mapShared(fd, cqSize, IoUring.IORING_OFF_CQ_RING);
            entries = Mman.mapShared(fd, sqEntries * IoUringSqe.SIZE, IoUring.IORING_OFF_SQES);
        } catch (SyscallException e) {
            if (entries != null) Mman.munmap(entries);
            if (cq != null && cq != sq) Mman.munmap(cq);
            if (sq != null) Mman.munmap(sq);
            waitArgArena.close();
            throw e;
        }
        this.sqRing = sq;
        this.cqRing = cq;
        this.sqes = entries;
        this.cqes = cq.asSlice(IoUringParams.cqOffset(params, "cqes"), cqEntries * IoUringCqe.SIZE);
        this.sqHead = IoUringParams.sqOffset(params, "head");
        this.sqTail = IoUringParams.sqOffset(params, "tail");
        this.sqMask = sq.get(JAVA_INT, IoUringParams.sqOffset(params, "ring_mask"));
        this.cqHead = IoUringParams.cqOffset(params, "head");
        this.cqTail = IoUringParams.cqOffset(params, "tail");
        this.cqMask = cq.get(JAVA_INT, IoUringParams.cqOffset(params, "ring_mask"));
        // The SQ ring holds indexes into the SQE array; slot i always names SQE i, as liburing sets it.
        long array = IoUringParams.sqOffset(params, "array");
        for (int i = 0; i < sqEntries; i++) sq.set(JAVA_INT, array + (long) i * JAVA_INT.byteSize(), i);
        this.sqTailLocal = (int) INT.getAcquire(sq, sqTail);
        this.cqHeadLocal = (int) INT.getAcquire(cq, cqHead);
        this.supportedOps = probe(fd);
    }

    /**
     * io_uring_setup(2) with the first of {@code flagSets} the kernel accepts, and the rings mapped.
     * @throws SyscallException {@code io_uring_setup} with the errno of the last attempt (ENOSYS: no
     *         io_uring in this kernel; EPERM: disabled by kernel.io_uring_disabled or a seccomp
     *         filter), or {@code mmap}'s
     */
    public static IoUringRings setup(int entries, int... flagSets) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringParams.LAYOUT);
            int fd = -Errno.EINVAL;
            for (int flags : flagSets) {
                params.fill((byte) 0);
                IoUringParams.setFlags(params, flags);
                fd = IoUring.setup(entries, params);
                if (fd != -Errno.EINVAL) break;
            }
            if (fd < 0) throw new SyscallException("io_uring_setup", -fd);
            try {
                return new IoUringRings(fd, params);
            } catch (SyscallException | RuntimeException e) {
                Unistd.close(fd);
                throw e;
            }
        }
    }

    /** IORING_REGISTER_PROBE: which opcodes this kernel supports ({@code struct io_uring_probe}, 256 ops). */
    private static boolean[] probe(int fd) {
        int ops = 256;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(16 + ops * 8L, 8);
            boolean[] supported = new boolean[ops];
            if (IoUring.register(fd, IoUring.IORING_REGISTER_PROBE, probe, ops) < 0) return supported;
            int len = Byte.toUnsignedInt(probe.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1));
            for (int i = 0; i < len; i++) {
                long op = 16 + i * 8L;
                int code = Byte.toUnsignedInt(probe.get(java.lang.foreign.ValueLayout.JAVA_BYTE, op));
                short flags = probe.get(java.lang.foreign.ValueLayout.JAVA_SHORT, op + 2);
                supported[code] = (flags & IoUring.IO_URING_OP_SUPPORTED) != 0;
            }
            return supported;
        }
    }

    /** The setup flags the kernel accepted (one of {@link #SETUP_FLAGS_NEWEST_FIRST}). */
    public int setupFlags() {
        return setupFlags;
    }

    /** {@code io_uring_params.features} as the kernel reported them. */
    public int features() {
        return features;
    }

    /** Whether IORING_REGISTER_PROBE listed {@code opcode} as supported. */
    public boolean supports(int opcode) {
        return opcode >= 0 && opcode < supportedOps.length && supportedOps[opcode];
    }

    /** The SQE array, for {@link IoUringSqe}'s preparations at the offset {@link #nextSqe} gave. */
    public MemorySegment sqes() {
        return sqes;
    }

    /**
     * The byte offset in {@link #sqes} of the next free SQE, now this thread's to fill, or -1 when
     * all are waiting to be consumed: then {@link #submitAndWait} first.
     */
    public long nextSqe() {
        int head = (int) INT.getAcquire(sqRing, sqHead);
        if (sqTailLocal - head == sqEntries) return -1;
        long at = (long) (sqTailLocal & sqMask) * IoUringSqe.SIZE;
        sqTailLocal++;
        return at;
    }

    /**
     * Publishes the SQEs filled since the last call and enters the kernel once: it consumes them,
     * runs pending completion work, and waits for at least {@code minComplete} completions, at most
     * {@code timeoutNanos} (-1: no limit) when it has to wait.
     * @return SQEs consumed, or {@code -errno}; a wait that timed out (ETIME) or was interrupted
     *         (EINTR) returns 0
     */
    public int submitAndWait(int minComplete, long timeoutNanos) {
        int head = (int) INT.getAcquire(sqRing, sqHead);
        int toSubmit = sqTailLocal - head;
        if (Narrator.ENABLED) {
            for (int i = 0; i < toSubmit; i++) Narrator.ioUringSqe(fd, sqes, (long) ((head + i) & sqMask) * IoUringSqe.SIZE);
        }
        INT.setRelease(sqRing, sqTail, sqTailLocal);
        int flags = IoUring.IORING_ENTER_GETEVENTS;
        MemorySegment arg = MemorySegment.NULL;
        long argSize = 0;
        if (minComplete > 0 && timeoutNanos >= 0) {
            timespec.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            waitArg.fill((byte) 0);
            waitArg.set(JAVA_LONG, 16, timespec.address());
            arg = waitArg;
            argSize = waitArg.byteSize();
            flags |= IoUring.IORING_ENTER_EXT_ARG;
        }
        if (Narrator.ENABLED && minComplete > 0) Narrator.ioUringEnterWait(fd, toSubmit, minComplete, flags);
        int r = IoUring.enter(fd, toSubmit, minComplete, flags, arg, argSize);
        if (Narrator.ENABLED) Narrator.ioUringEnter(fd, toSubmit, minComplete, flags, timeoutNanos, r);
        return r == -Errno.ETIME || r == -Errno.EINTR ? 0 : r;
    }

    /** Completions posted and not yet consumed. */
    public int completions() {
        return (int) INT.getAcquire(cqRing, cqTail) - cqHeadLocal;
    }

    /** The CQE array, for {@link IoUringCqe}'s accessors at the offsets {@link #completion} gives. */
    public MemorySegment cqes() {
        return cqes;
    }

    /** Byte offset in {@link #cqes} of the {@code i}-th unconsumed completion. */
    public long completion(int i) {
        return (long) ((cqHeadLocal + i) & cqMask) * IoUringCqe.SIZE;
    }

    /** Hands the first {@code n} completions' slots back to the kernel (release store of the CQ head). */
    public void consume(int n) {
        if (Narrator.ENABLED) {
            for (int i = 0; i < n; i++) Narrator.ioUringCqe(fd, cqes, completion(i));
        }
        cqHeadLocal += n;
        INT.setRelease(cqRing, cqHead, cqHeadLocal);
    }

    /** Unmaps the rings and closes the fd; the kernel cancels whatever is still in flight. */
    @Override
    public void close() {
        Mman.munmap(sqes);
        if (cqRing != sqRing) Mman.munmap(cqRing);
        Mman.munmap(sqRing);
        Unistd.close(fd);
        waitArgArena.close();
    }
}
