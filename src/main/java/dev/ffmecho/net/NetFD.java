package dev.ffmecho.net;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.poll.FD;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Go 1.6's {@code netFD} (net/fd_unix.go, net/sock_posix.go): a socket fd, its family, and once
 * {@link #init}ed the poller registration through which all its I/O goes.
 */
final class NetFD {
    private final int sysfd;
    private final int family;
    private final Netpoller poller;
    private FD pfd; // null until init(): Go's pollDesc before runtime_pollOpen

    private NetFD(int sysfd, int family, Netpoller poller) {
        this.sysfd = sysfd;
        this.family = family;
        this.poller = poller;
    }

    int sysfd() {
        return sysfd;
    }

    int family() {
        return family;
    }

    FD poll() {
        return pfd;
    }

    /**
     * net/sock_posix.go {@code socket} for a stream listener: {@link #sysSocket}, the default
     * options, then {@link #listenStream}. On any failure the fd is closed and the error returned.
     */
    static NetFD listen(Profile profile, int family, TCPAddr laddr, Netpoller poller, boolean reusePort, Arena arena)
            throws SyscallException {
        int s = sysSocket(family, Socket.SOCK_STREAM, Socket.IPPROTO_IP);
        NetFD fd = new NetFD(s, family, poller);
        try {
            setDefaultSockopts(profile, s, family);
            // go1.19 evaluates listenerBacklog() here, as listenStream's argument: its first call
            // reads somaxconn between the socket options and SO_REUSEADDR. go1.6 read it at init.
            int backlog = NetInit.listenerBacklog(profile, poller);
            fd.listenStream(laddr, backlog, reusePort, arena);
            return fd;
        } catch (SyscallException | RuntimeException e) {
            fd.closeQuietly();
            throw e;
        }
    }

    /**
     * net/sock_cloexec.go {@code sysSocket}: non-blocking and close-on-exec atomically, in the
     * socket call itself (Linux 2.6.27+), so no fork/exec in another thread can inherit the fd.
     * Go falls back to socket + fcntl on EINVAL for older kernels; no JDK 22 runs on those.
     */
    @GoFunction(value = "net.sysSocket", note = "04-nonblock-cloexec.md")
    static int sysSocket(int family, int sotype, int proto) throws SyscallException {
        return Errno.check("socket", Socket.socket(family, sotype | Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, proto));
    }

    /**
     * net/sockopt_linux.go {@code setDefaultSockopts}: IPV6_V6ONLY 0 on AF_INET6, dual-stack
     * ({@code ipv6only} is false for network "tcp"; its error is ignored, "some operating systems
     * never admit this option"), then — go1.6 only — SO_BROADCAST 1, harmless on TCP, which go1.6
     * set on every socket.
     */
    @GoFunction(value = "net.setDefaultSockopts", note = "03-listen-socket.md")
    static void setDefaultSockopts(Profile profile, int s, int family) throws SyscallException {
        if (family == Socket.AF_INET6) {
            Socket.setsockoptInt(s, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, 0);
        }
        if (profile.soBroadcast) {
            Errno.check("setsockopt", Socket.setsockoptInt(s, Socket.SOL_SOCKET, Socket.SO_BROADCAST, 1));
        }
    }

    /**
     * net/sock_posix.go {@code listenStream}: SO_REUSEADDR ({@code setDefaultListenerSockopts}),
     * (for an event loop's listener, SO_REUSEPORT,) bind, listen, register with the poller
     * ({@code fd.init}, when there is one), then getsockname to learn the port.
     */
    @GoFunction(value = "net.(*netFD).listenStream", note = "03-listen-socket.md")
    private void listenStream(TCPAddr laddr, int backlog, boolean reusePort, Arena arena) throws SyscallException {
        Errno.check("setsockopt", Socket.setsockoptInt(sysfd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1));
        if (reusePort) Errno.check("setsockopt", Socket.setsockoptInt(sysfd, Socket.SOL_SOCKET, Socket.SO_REUSEPORT, 1));
        MemorySegment lsa = Sockaddrs.ipToSockaddr(arena, family, laddr.ip(), laddr.port());
        if (lsa == null) throw new SyscallException("bind", Errno.EAFNOSUPPORT);
        Errno.check("bind", Socket.bind(sysfd, lsa));
        Errno.check("listen", Socket.listen(sysfd, backlog));
        if (poller != null) init();
    }

    /** Go's {@code netFD.init}: {@code pd.Init} → the netpoller's EPOLL_CTL_ADD. */
    void init() throws SyscallException {
        pfd = FD.open(sysfd, poller);
    }

    /**
     * Go 1.6 {@code netFD.accept}: accept4 (retrying EAGAIN through the poller), a netFD for the
     * new fd, register it, then getsockname — in that order, as the study note's trace shows.
     * ECONNABORTED ("a socket on the listen queue was closed before we Accept()ed it") is retried.
     */
    NetFD accept(RawSockaddrAny peer) throws SyscallException {
        int s;
        while (true) {
            try {
                s = pfd.accept(peer);
                break;
            } catch (SyscallException e) {
                if (e.errno() != Errno.ECONNABORTED) throw e;
            }
        }
        NetFD conn = new NetFD(s, family, poller);
        try {
            conn.init();
        } catch (SyscallException e) {
            conn.closeQuietly();
            throw e;
        }
        return conn;
    }

    /** {@code syscall.Getsockname} with a RawSockaddrAny, like Go. */
    @GoFunction(value = "syscall.Getsockname", note = "07-accept4-arguments.md")
    TCPAddr localAddr(RawSockaddrAny scratch) throws SyscallException {
        Errno.check("getsockname", Socket.getsockname(sysfd, scratch));
        return Sockaddrs.toTCPAddr(scratch);
    }

    /** Go's {@code netFD.Close}: through the poller when registered, else a plain close(2). */
@GoFunction(value = "net.(*netFD).destroy", note = "05-epoll.md")
    void close() throws SyscallException {
        if (pfd != null) pfd.close();
        else Errno.check("close", Unistd.close(sysfd));
    }

    void closeQuietly() {
        try {
            close();
        } catch (SyscallException ignored) {
            // Already failing; the fd number is released by close(2) regardless.
        }
    }
}
