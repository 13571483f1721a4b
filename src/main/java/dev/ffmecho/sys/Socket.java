package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <sys/socket.h>}, {@code <netinet/in.h>}, {@code <netinet/tcp.h>}: constants (Linux
 * x86_64/aarch64 values, checked against the headers by a gcc probe test) and one binding per
 * function. Wrappers return the result, or {@code -errno} (see {@link Downcalls}).
 */
public final class Socket {
    // Address families (<bits/socket.h>). strace 4.x printed the PF_ aliases; the values are equal.
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    // Socket types and the atomic flags accepted by socket(2) and accept4(2) since Linux 2.6.27.
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;   // == O_NONBLOCK
    public static final int SOCK_CLOEXEC = 0x80000;  // == O_CLOEXEC

    // Protocols (<netinet/in.h>); SOL_TCP/SOL_IPV6 are the same numbers used as setsockopt levels.
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_IPV6 = 41;
    public static final int SOL_SOCKET = 1;
    public static final int SOL_TCP = 6;
    public static final int SOL_IPV6 = 41;

    // Options.
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_BROADCAST = 6;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_REUSEPORT = 15;
    public static final int SO_RCVTIMEO = 20;   // SO_RCVTIMEO_OLD: a struct timeval of two longs on 64-bit
    public static final int SO_SNDTIMEO = 21;
    public static final int IPV6_V6ONLY = 26;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_KEEPIDLE = 4;
    public static final int TCP_KEEPINTVL = 5;
    public static final int TCP_KEEPCNT = 6;

    // send(2) flags: MSG_NOSIGNAL makes a write to a connection the peer has closed fail with EPIPE, not raise SIGPIPE.
    public static final int MSG_NOSIGNAL = 0x4000;

    // shutdown(2) how.
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    private static final MethodHandle SOCKET = Downcalls.errnoCapturing("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = Downcalls.errnoCapturing("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Downcalls.errnoCapturing("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = Downcalls.errnoCapturing("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Downcalls.errnoCapturing("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Downcalls.errnoCapturing("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Downcalls.errnoCapturing("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CONNECT = Downcalls.errnoCapturing("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    /*
     * send and recv are for blocking sockets (verify's client), so unlike Unistd.read and write they
     * are not linked critical: a critical call keeps its thread in Java state, and one that blocks
     * holds off every safepoint of the JVM — a GC requested by another thread waits for it, and so
     * does that thread — for as long as it blocks.
     */
    private static final MethodHandle SEND = Downcalls.errnoCapturing("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = Downcalls.errnoCapturing("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Downcalls.errnoCapturing("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /** {@code struct timeval} ({@code <sys/time.h>}, 64-bit): the value of SO_RCVTIMEO and SO_SNDTIMEO. */
    public static final StructLayout TIMEVAL = structLayout(JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec"));

    private Socket() {}

    /** socket(2). */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) SOCKET.invokeExact(state, domain, type, protocol), state);
            if (Narrator.ENABLED) Narrator.socket(domain, type, protocol, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** setsockopt(2) with an option value of {@code value.byteSize()} bytes. */
    public static int setsockopt(int fd, int level, int name, MemorySegment value) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno(
                    (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, (int) value.byteSize()), state);
            if (Narrator.ENABLED) Narrator.setsockopt(fd, level, name, value, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** setsockopt(2) of an {@code int} option, the only kind Go's net sets: {@code [1], 4} in strace. */
    public static int setsockoptInt(int fd, int level, int name, int value) {
        MemorySegment cell = Downcalls.intCells().value();
        cell.set(JAVA_INT, 0, value);
        return setsockopt(fd, level, name, cell);
    }

    /**
     * setsockopt(2) of a {@code struct timeval} option (SO_RCVTIMEO, SO_SNDTIMEO): a blocking read or
     * write that waits longer than {@code millis} fails with EAGAIN (socket(7)).
     */
    public static int setsockoptTimeval(int fd, int name, long millis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tv = arena.allocate(TIMEVAL);
            tv.set(JAVA_LONG, TIMEVAL.byteOffset(groupElement("tv_sec")), millis / 1000);
            tv.set(JAVA_LONG, TIMEVAL.byteOffset(groupElement("tv_usec")), (millis % 1000) * 1000);
            return setsockopt(fd, SOL_SOCKET, name, tv);
        }
    }

    /** getsockopt(2); {@code len} is a {@code socklen_t} in/out. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) GETSOCKOPT.invokeExact(state, fd, level, name, value, len), state);
            if (Narrator.ENABLED) Narrator.getsockopt(fd, level, name, value, len, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** getsockopt(2) of an {@code int} option; returns the value, or {@code -errno}. */
    public static int getsockoptInt(int fd, int level, int name) {
        Downcalls.IntCells cells = Downcalls.intCells();
        cells.len().set(JAVA_INT, 0, (int) JAVA_INT.byteSize());
        int r = getsockopt(fd, level, name, cells.value(), cells.len());
        return r < 0 ? r : cells.value().get(JAVA_INT, 0);
    }

    /** bind(2) to the sockaddr held in {@code addr} (its size is the addrlen). */
    public static int bind(int fd, MemorySegment addr) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) BIND.invokeExact(state, fd, addr, (int) addr.byteSize()), state);
            if (Narrator.ENABLED) Narrator.bind(fd, addr, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** listen(2). */
    public static int listen(int fd, int backlog) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) LISTEN.invokeExact(state, fd, backlog), state);
            if (Narrator.ENABLED) Narrator.listen(fd, backlog, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** accept4(2) into {@code buffer}: its address part receives the peer, its length part is in/out. */
    public static int accept4(int fd, RawSockaddrAny buffer, int flags) {
        MemorySegment state = Downcalls.callState();
        buffer.resetLength();
        try {
            int r = Downcalls.resultOrErrno(
                    (int) ACCEPT4.invokeExact(state, fd, buffer.address(), buffer.length(), flags), state);
            if (Narrator.ENABLED) Narrator.accept4(fd, buffer, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** getsockname(2) into {@code buffer}, which Go sizes as a RawSockaddrAny too. */
    public static int getsockname(int fd, RawSockaddrAny buffer) {
        MemorySegment state = Downcalls.callState();
        buffer.resetLength();
        try {
            int r = Downcalls.resultOrErrno(
                    (int) GETSOCKNAME.invokeExact(state, fd, buffer.address(), buffer.length()), state);
            if (Narrator.ENABLED) Narrator.getsockname(fd, buffer, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** connect(2) to the sockaddr held in {@code addr} (its size is the addrlen). */
    public static int connect(int fd, MemorySegment addr) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) CONNECT.invokeExact(state, fd, addr, (int) addr.byteSize()), state);
            if (Narrator.ENABLED) Narrator.connect(fd, addr, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** send(2) of {@code count} bytes from {@code buf}; may block (a blocking socket), so not critical. */
    public static long send(int fd, MemorySegment buf, long count, int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            long r = Downcalls.resultOrErrno((long) SEND.invokeExact(state, fd, buf, count, flags), state);
            if (Narrator.ENABLED) Narrator.send(fd, buf, count, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** recv(2) of up to {@code count} bytes into {@code buf}; may block (a blocking socket), so not critical. */
    public static long recv(int fd, MemorySegment buf, long count, int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            long r = Downcalls.resultOrErrno((long) RECV.invokeExact(state, fd, buf, count, flags), state);
            if (Narrator.ENABLED) Narrator.recv(fd, buf, count, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** shutdown(2). */
    public static int shutdown(int fd, int how) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) SHUTDOWN.invokeExact(state, fd, how), state);
            if (Narrator.ENABLED) Narrator.shutdown(fd, how, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
