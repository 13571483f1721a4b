package dev.ffmecho.net;

import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.SockaddrIn;
import dev.ffmecho.sys.SockaddrIn6;
import dev.ffmecho.sys.Socket;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Conversions between {@link TCPAddr} and kernel sockaddrs, as net/ipsock_posix.go and tcpsock_posix.go do them. */
final class Sockaddrs {
    private Sockaddrs() {}

    /**
     * Go's {@code ipToSockaddr}. For AF_INET6 an absent or {@code 0.0.0.0} address becomes {@code ::}
     * and an IPv4 address becomes its IPv4-mapped form ({@code ::ffff:127.0.0.1} in the probe).
     * @return the sockaddr, or {@code null} when {@code ip} does not fit {@code family}
     */
    static MemorySegment ipToSockaddr(Arena arena, int family, IP ip, int port) {
        if (family == Socket.AF_INET) {
            IP v = ip == null ? IP.IPV4_ZERO : ip;
            byte[] four = v.to4();
            return four == null ? null : SockaddrIn.of(arena, four, port);
        }
        IP v = ip == null || ip.equals(IP.IPV4_ZERO) ? IP.IPV6_ZERO : ip;
        return SockaddrIn6.of(arena, v.to16(), port, 0);
    }

    /** Go's {@code sockaddrToTCP}: the address the kernel wrote into {@code rsa}. */
    static TCPAddr toTCPAddr(RawSockaddrAny rsa) {
        MemorySegment sa = rsa.sockaddr();
        return switch (rsa.family()) {
            case Socket.AF_INET -> new TCPAddr(IP.ofBytes(SockaddrIn.addr(sa)), SockaddrIn.port(sa));
            case Socket.AF_INET6 -> new TCPAddr(IP.ofBytes(SockaddrIn6.addr(sa)), SockaddrIn6.port(sa));
            default -> null;
        };
    }
}
