package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19): {@code count} buffers of
 * {@code size} bytes that the kernel picks from for a recv with {@link IoUring#IOSQE_BUFFER_SELECT},
 * naming the one it filled in the completion's flags. The ring is an array of
 * {@code struct io_uring_buf} in page-aligned memory shared with the kernel, whose tail (a
 * {@code __u16} overlaid on the first entry's {@code resv}) this thread advances with a release
 * store to give buffers back; the kernel takes them from its head.
 */
public final class IoUringBufRing implements AutoCloseable {
    /** {@code struct io_uring_buf}: one buffer's address, length and id. */
    public static final StructLayout BUF = structLayout(
            JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_SHORT.withName("bid"), JAVA_SHORT.withName("resv"));
    /** {@code struct io_uring_buf_reg}: what IORING_REGISTER_PBUF_RING takes. */
    public static final StructLayout REG = structLayout(
            JAVA_LONG.withName("ring_addr"), JAVA_INT.withName("ring_entries"), JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("pad"), sequenceLayout(3, JAVA_LONG).withName("resv"));
    /** {@code offsetof(struct io_uring_buf_ring, tail)}: the first entry's {@code resv}. */
    public static final long TAIL_OFFSET = BUF.byteOffset(groupElement("resv"));

    private static final VarHandle SHORT = JAVA_SHORT.varHandle();
    private static final VarHandle ADDR = BUF.varHandle(groupElement("addr"));
    private static final VarHandle LEN = BUF.varHandle(groupElement("len"));
    private static final VarHandle BID = BUF.varHandle(groupElement("bid"));

    private final int ringFd;
    private final int group;
    private final int count;
    private final int size;
    private final MemorySegment ring;
    private final MemorySegment buffers;
    /** The tail as filled by {@link #recycle}, published by {@link #publish}. */
    private short tail;
    private boolean registered;

    private IoUringBufRing(int ringFd, int group, int count, int size, MemorySegment ring, MemorySegment buffers) {
        this.ringFd = ringFd;
        this.group = group;
        this.count = count;
        this.size = size;
        this.ring = ring;
        this.buffers = buffers;
    }

    /**
     * Maps {@code count} (a power of two, at most 32768) buffers of {@code size} bytes, registers
     * them as buffer group {@code group} of {@code rings}, and hands them all to the kernel.
     */
    public static IoUringBufRing register(IoUringRings rings, int group, int count, int size) throws SyscallException {
        if (Integer.bitCount(count) != 1 || count > 32768) throw new IllegalArgumentException("count must be a power of two <= 32768: " + count);
        MemorySegment ring = Mman.mapAnonymous(count * BUF.byteSize());
        MemorySegment buffers;
        try {
            buffers = Mman.mapAnonymous((long) count * size);
        } catch (SyscallException e) {
            Mman.munmap(ring);
            throw e;
        }
        IoUringBufRing r = new IoUringBufRing(rings.fd, group, count, size, ring, buffers);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = arena.allocate(REG);
            reg.set(JAVA_LONG, REG.byteOffset(groupElement("ring_addr")), ring.address());
            reg.set(JAVA_INT, REG.byteOffset(groupElement("ring_entries")), count);
            reg.set(JAVA_SHORT, REG.byteOffset(groupElement("bgid")), (short) group);
            int res = IoUring.register(rings.fd, IoUring.IORING_REGISTER_PBUF_RING, reg, 1);
            if (res < 0) {
                r.close();
                throw new SyscallException("io_uring_register", -res);
            }
            r.registered = true;
        }
        for (int bid = 0; bid < count; bid++) r.recycle(bid);
        r.publish();
        return r;
    }

    /** Buffer {@code bid}'s native address, where the kernel put what it received. */
    public long address(int bid) {
        return buffers.address() + (long) bid * size;
    }

    /** Buffer {@code bid}, as a segment (for copying out of it; allocates a view, so not on the hot path). */
    public MemorySegment buffer(int bid) {
        return buffers.asSlice((long) bid * size, size);
    }

    /** Puts buffer {@code bid} in the next free entry; the kernel sees it after {@link #publish}. */
    public void recycle(int bid) {
        long at = (long) (tail & (count - 1)) * BUF.byteSize();
        ADDR.set(ring, at, address(bid));
        LEN.set(ring, at, size);
        BID.set(ring, at, (short) bid);
        tail++;
    }

    /** Publishes the recycled buffers: a release store of the tail, after their entries. */
    public void publish() {
        SHORT.setRelease(ring, TAIL_OFFSET, tail);
    }

    /** Unregisters the group (when it was registered) and unmaps ring and buffers. */
    @Override
    public void close() {
        if (registered) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment reg = arena.allocate(REG);
                reg.set(JAVA_SHORT, REG.byteOffset(groupElement("bgid")), (short) group);
                IoUring.register(ringFd, IoUring.IORING_UNREGISTER_PBUF_RING, reg, 1);
            }
            registered = false;
        }
        Mman.munmap(buffers);
        Mman.munmap(ring);
    }
}
