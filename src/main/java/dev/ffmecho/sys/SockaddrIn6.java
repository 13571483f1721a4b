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
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct sockaddr_in6} (netinet/in.h, RFC 3493), 28 bytes. Port and flowinfo are in network
 * byte order; the scope id is in host order.
 */
public final class SockaddrIn6 {
    public static final StructLayout LAYOUT = structLayout(
            JAVA_SHORT.withName("sin6_family"),
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin6_port"),
            JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withName("sin6_flowinfo"),
            sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
            JAVA_INT.withName("sin6_scope_id"));
    public static final int SIZE = (int) LAYOUT.byteSize(); // 28

    private static final VarHandle FAMILY = LAYOUT.varHandle(groupElement("sin6_family"));
    private static final VarHandle PORT = LAYOUT.varHandle(groupElement("sin6_port"));
    private static final VarHandle SCOPE_ID = LAYOUT.varHandle(groupElement("sin6_scope_id"));
    private static final long ADDR = LAYOUT.byteOffset(groupElement("sin6_addr"));

    private SockaddrIn6() {}

    /** A sockaddr_in6 for {@code ip} (16 bytes), {@code port} and {@code scopeId}; flowinfo 0. */
    public static MemorySegment of(Arena arena, byte[] ip, int port, int scopeId) {
        if (ip.length != 16) throw new IllegalArgumentException("sockaddr_in6 needs a 16-byte address");
        MemorySegment sa = arena.allocate(LAYOUT); // zeroed: sin6_flowinfo = 0
        FAMILY.set(sa, 0L, (short) Socket.AF_INET6);
        PORT.set(sa, 0L, (short) port);
        MemorySegment.copy(ip, 0, sa, JAVA_BYTE, ADDR, 16);
        SCOPE_ID.set(sa, 0L, scopeId);
        return sa;
    }

    public static int port(MemorySegment sa) {
        return Short.toUnsignedInt((short) PORT.get(sa, 0L));
    }

    public static byte[] addr(MemorySegment sa) {
        return sa.asSlice(ADDR, 16).toArray(JAVA_BYTE);
    }

    public static int scopeId(MemorySegment sa) {
        return (int) SCOPE_ID.get(sa, 0L);
    }
}
