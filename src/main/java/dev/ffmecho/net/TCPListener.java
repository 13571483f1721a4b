package dev.ffmecho.net;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;

import java.lang.foreign.Arena;

/**
 * Go's {@code *net.TCPListener}. {@link #listen} is {@code net.ListenTCP}; {@link #accept} is
 * {@code AcceptTCP}. Native memory (the two RawSockaddrAny buffers Go would allocate per call) lives
 * in an arena owned by the listener and freed by {@link #close}.
 */
public final class TCPListener implements AutoCloseable {
    private final Profile profile;
    private final Arena arena;
    private final NetFD fd;
    private final TCPAddr addr;
    private final RawSockaddrAny peer;
    private final RawSockaddrAny local;

    /** Takes over a listening {@code fd} and learns its address (the last step of listenStream). */
    private TCPListener(Profile profile, Arena arena, NetFD fd) throws SyscallException {
        this.profile = profile;
        this.arena = arena;
        this.fd = fd;
        this.peer = new RawSockaddrAny(arena);
        this.local = new RawSockaddrAny(arena);
        this.addr = fd.localAddr(local);
    }

    /**
     * net/tcpsock_posix.go {@code ListenTCP} → {@code internetSocket(…, "listen")}: choose the
     * family ({@link #favoriteAddrFamily}), then socket, options, bind, listen, epoll registration
     * and getsockname.
     */
    public static TCPListener listen(Profile profile, TCPAddr laddr, Netpoller poller) throws SyscallException {
        return listen(profile, laddr, poller, false);
    }

    /**
     * A listener for an event loop, one per loop thread: Go's listen path with SO_REUSEPORT, so
     * that N loops can each own a listener on the same address and the kernel spreads new
     * connections across them (socket(7) SO_REUSEPORT, Linux 3.9), and with no netpoller: the loop
     * waits on it in its own epoll set or io_uring. Not Go's shape — Go has one listener and one
     * netpoller — but the one that lets each loop accept without handing fds across threads.
     * Only {@link #sysfd}, {@link #addr} and {@link #close} apply.
     */
    public static TCPListener listenReusePort(Profile profile, TCPAddr laddr) throws SyscallException {
        return listen(profile, laddr, null, true);
    }

    private static TCPListener listen(Profile profile, TCPAddr laddr, Netpoller poller, boolean reusePort) throws SyscallException {
        NetInit.packageInit(profile);
        int family = favoriteAddrFamily(profile, laddr);
        Arena arena = Arena.ofShared();
        NetFD fd = null;
        try {
            fd = NetFD.listen(profile, family, laddr, poller, reusePort, arena);
            return new TCPListener(profile, arena, fd);
        } catch (SyscallException | RuntimeException e) {
            if (fd != null) fd.closeQuietly();
            arena.close();
            throw e;
        }
    }

    /**
     * net/ipsock_posix.go {@code favoriteAddrFamily} (go1.6) in "listen" mode for network "tcp":
     * a wildcard address listens dual-stack on AF_INET6 with IPV6_V6ONLY 0 when IPv4-mapped
     * addresses work, or on AF_INET6 anyway when there is no IPv4 at all; otherwise the address's
     * own family (AF_INET for an absent address). Never v6-only: Go asks for that only for network
     * "tcp6", which this server does not listen on.
     */
    static int favoriteAddrFamily(Profile profile, TCPAddr laddr) {
        // Only a wildcard asks; in go1.19 the asking is what runs the (once-only) stack probe.
        if (laddr.isWildcard() && (NetInit.supportsIPv4map(profile) || !NetInit.supportsIPv4(profile))) {
            return Socket.AF_INET6;
        }
        return laddr.family();
    }

    /** The address the kernel bound (the real port when 0 was asked for). */
    public TCPAddr addr() {
        return addr;
    }

    /**
     * {@code AcceptTCP}: the accept path of Go's netFD, then {@code newTCPConn}, which turns
     * Nagle off (TCP_NODELAY 1) on every accepted connection, then (go1.19) keep-alive.
     */
    public TCPConn accept() throws SyscallException {
        NetFD conn = fd.accept(peer);
        try {
            TCPAddr remote = Sockaddrs.toTCPAddr(peer);
            TCPAddr localAddr = conn.localAddr(local);
            TCPConn c = TCPConn.newTCPConn(profile, conn, localAddr, remote);
            c.setKeepAlive(profile.keepAlive);
            return c;
        } catch (SyscallException | RuntimeException e) {
            conn.closeQuietly();
            throw e;
        }
    }

    /**
     * Wakes an {@link #accept} blocked in epoll_wait on another thread and makes it fail (EINVAL):
     * shutdown(2) of a listening socket closes its queue and wakes its waiters. Safe to call from a
     * signal-handling thread, before {@link #close} — never after.
     */
    @GoFunction(value = "ffm-echo: stop accepting on SIGTERM", note = "11-ffm.md")
    public void shutdown() {
        Socket.shutdown(fd.sysfd(), Socket.SHUT_RDWR);
    }

    /** Go's {@code Close}: EPOLL_CTL_DEL then close(2); frees the listener's native memory. */
    @Override
    public void close() throws SyscallException {
        try {
            fd.close();
        } finally {
            arena.close();
        }
    }

    /** The listening socket's fd, e.g. for getsockopt checks. */
    public int sysfd() {
        return fd.sysfd();
    }
}
