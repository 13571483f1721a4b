package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Go's {@code syscall.RawSockaddrAny} (ztypes_linux_amd64.go): a 16-byte {@code struct sockaddr}
 * followed by 96 bytes of padding, 112 in all, plus the {@code socklen_t} that goes with it.
 * Go passes exactly this to accept4(2) and getsockname(2), which is why strace shows {@code [112]}
 * on the way in (and {@code [112 => 28]} in strace 6 once the kernel has written a sockaddr_in6).
 * It is smaller than glibc's {@code sockaddr_storage} (128) and large enough for sockaddr_in6 (28).
 */
public final class RawSockaddrAny {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("sa_family"),
            sequenceLayout(14, JAVA_BYTE).withName("sa_data"),
            sequenceLayout(96, JAVA_BYTE).withName("pad"));
    public static final int SIZE = (int) LAYOUT.byteSize(); // 112

    private static final VarHandle FAMILY = LAYOUT.varHandle(groupElement("sa_family"));

    private final MemorySegment address;
    private final MemorySegment length;
    private MemorySegment written; // the last sockaddr() slice, reused while its length holds

    /** A buffer whose native memory lives as long as {@code arena}. */
    public RawSockaddrAny(Arena arena) {
        this.address = arena.allocate(LAYOUT);
        this.length = arena.allocate(JAVA_INT);
        this.written = address.asSlice(0, 0);
    }

    /** Before each call: the kernel is told the whole buffer is available, as Go does. */
    void resetLength() {
        length.set(JAVA_INT, 0, SIZE);
    }

    MemorySegment address() {
        return address;
    }

    MemorySegment length() {
        return length;
    }

    /** The {@code sa_family} the kernel wrote. */
    public int family() {
        return Short.toUnsignedInt((short) FAMILY.get(address, 0L));
    }

    /**
     * The bytes the kernel wrote: {@code socklen} of them. An accept loop asks once per connection
     * and peers of one family all have one length, so the slice is made once and reused.
     */
    public MemorySegment sockaddr() {
        long n = Math.min(length.get(JAVA_INT, 0), SIZE);
        if (written.byteSize() != n) written = address.asSlice(0, n);
        return written;
    }
}
