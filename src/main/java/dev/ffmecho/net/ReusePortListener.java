package dev.ffmecho.net;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A listening socket for the event loop, one per loop thread: non-blocking, close-on-exec, with
 * SO_REUSEPORT so that N loops can each own a listener on the same address and the kernel spreads
 * new connections across them (socket(7) SO_REUSEPORT, Linux 3.9). Not Go's shape — Go has one
 * listener and one netpoller — but the one that lets each loop accept without handing fds across
 * threads. The address family follows {@link TCPListener#favoriteAddrFamily} (dual-stack {@code ::}
 * for a wildcard).
 */
public final class ReusePortListener {
    private ReusePortListener() {}

    /** @return the listening fd; the caller closes it */
    public static int open(Profile profile, TCPAddr laddr) throws SyscallException {
        int[] family = TCPListener.favoriteAddrFamily(profile, laddr);
        int fd = NetFD.sysSocket(family[0], Socket.SOCK_STREAM, Socket.IPPROTO_IP);
        try (Arena arena = Arena.ofConfined()) {
            if (family[0] == Socket.AF_INET6) {
                Socket.setsockoptInt(fd, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, 0);
            }
            Errno.check("setsockopt", Socket.setsockoptInt(fd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1));
            Errno.check("setsockopt", Socket.setsockoptInt(fd, Socket.SOL_SOCKET, Socket.SO_REUSEPORT, 1));
            MemorySegment sa = Sockaddrs.ipToSockaddr(arena, family[0], laddr.ip(), laddr.port());
            if (sa == null) throw new SyscallException("bind", Errno.EAFNOSUPPORT);
            Errno.check("bind", Socket.bind(fd, sa));
            Errno.check("listen", Socket.listen(fd, NetInit.listenerBacklog(profile, null)));
            return fd;
        } catch (SyscallException | RuntimeException e) {
            Unistd.close(fd);
            throw e;
        }
    }

    /** The port the kernel bound {@code fd} to (for port 0). */
    public static int port(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            dev.ffmecho.sys.RawSockaddrAny local = new dev.ffmecho.sys.RawSockaddrAny(arena);
            Errno.check("getsockname", Socket.getsockname(fd, local));
            return Sockaddrs.toTCPAddr(local).port();
        }
    }
}
