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
        byte[] addr = new byte[16];
        MemorySegment.copy(sa, JAVA_BYTE, ADDR, addr, 0, 16); // no heap segment per call (accept path)
        return addr;
    }

    public static int scopeId(MemorySegment sa) {
        return (int) SCOPE_ID.get(sa, 0L);
    }

    /**
     * {@code inet_ntop(AF_INET6, …)}'s text (RFC 5952): lowercase hex groups, the longest run of
     * two or more zero groups as {@code ::}, and an IPv4-mapped address as {@code ::ffff:a.b.c.d}.
     * It is how strace prints {@code sin6_addr}.
     */
    public static String ntop(byte[] a) {
        if (a.length != 16) throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + a.length);
        boolean mapped = a[10] == (byte) 0xff && a[11] == (byte) 0xff;
        for (int i = 0; i < 10; i++) mapped &= a[i] == 0;
        if (mapped) return "::ffff:" + (a[12] & 0xff) + "." + (a[13] & 0xff) + "." + (a[14] & 0xff) + "." + (a[15] & 0xff);
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
