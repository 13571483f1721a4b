package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct sockaddr_in} (netinet/in.h), 16 bytes. The port is in network byte order, so its
 * layout is big-endian and the VarHandle does the {@code htons} strace shows.
 */
public final class SockaddrIn {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin_port"),
            sequenceLayout(4, JAVA_BYTE).withName("sin_addr"),
            sequenceLayout(8, JAVA_BYTE).withName("sin_zero"));
    public static final int SIZE = (int) LAYOUT.byteSize(); // 16

    private static final VarHandle FAMILY = LAYOUT.varHandle(groupElement("sin_family"));
    private static final VarHandle PORT = LAYOUT.varHandle(groupElement("sin_port"));
    private static final long ADDR = LAYOUT.byteOffset(groupElement("sin_addr"));

    private SockaddrIn() {}

    /** A sockaddr_in for {@code ip} (4 bytes) and {@code port}, allocated in {@code arena}. */
    public static MemorySegment of(Arena arena, byte[] ip, int port) {
        if (ip.length != 4) throw new IllegalArgumentException("sockaddr_in needs a 4-byte address");
        MemorySegment sa = arena.allocate(LAYOUT);
        FAMILY.set(sa, 0L, (short) Socket.AF_INET);
        PORT.set(sa, 0L, (short) port);
        MemorySegment.copy(ip, 0, sa, JAVA_BYTE, ADDR, 4);
        return sa;
    }

    public static int port(MemorySegment sa) {
        return Short.toUnsignedInt((short) PORT.get(sa, 0L));
    }

    public static byte[] addr(MemorySegment sa) {
        byte[] addr = new byte[4];
        MemorySegment.copy(sa, JAVA_BYTE, ADDR, addr, 0, 4); // no heap segment per call (accept path)
        return addr;
    }
}
