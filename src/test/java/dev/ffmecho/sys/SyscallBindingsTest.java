package dev.ffmecho.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bindings against the real kernel: results, -errno, and the exceptions that name call and errno. */
class SyscallBindingsTest {
    @Test
    void aFailedCallReturnsMinusErrnoAndCheckNamesSyscallAndErrno() {
        int r = Socket.socket(12345, Socket.SOCK_STREAM, 0);
        assertEquals(-Errno.EAFNOSUPPORT, r);
        SyscallException e = assertThrows(SyscallException.class, () -> Errno.check("socket", r));
        assertEquals("socket: EAFNOSUPPORT (Address family not supported by protocol)", e.getMessage());
        assertEquals(Errno.EAFNOSUPPORT, e.errno());
        assertEquals("socket", e.syscall());
        assertEquals(-Errno.EBADF, Unistd.close(-1));
        assertEquals(-Errno.ENOENT, Unistd.openat(Unistd.AT_FDCWD, "/nonexistent/ffm-echo", Unistd.O_RDONLY));
    }

    @Test
    void eagainIsAReturnValueNotAnException() throws SyscallException {
        int s = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, 0));
        try (Arena arena = Arena.ofConfined()) {
            Errno.check("bind", Socket.bind(s, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, 0)));
            Errno.check("listen", Socket.listen(s, 8));
            assertEquals(-Errno.EAGAIN, Socket.accept4(s, new RawSockaddrAny(arena), Socket.SOCK_NONBLOCK));
        } finally {
            Unistd.close(s);
        }
    }

    @Test
    void setsockoptAndGetsockoptRoundTrip() throws SyscallException {
        int s = Errno.check("socket", Socket.socket(Socket.AF_INET6, Socket.SOCK_STREAM, 0));
        try {
            for (int v : new int[] {1, 0}) {
                Errno.check("setsockopt", Socket.setsockoptInt(s, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, v));
                assertEquals(v, Socket.getsockoptInt(s, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY));
            }
        } finally {
            Unistd.close(s);
        }
        int notASocket = Errno.check("openat", Unistd.openat(Unistd.AT_FDCWD, "/dev/null", Unistd.O_RDONLY | Unistd.O_CLOEXEC));
        try {
            assertEquals(-Errno.ENOTSOCK, Socket.getsockoptInt(notASocket, Socket.SOL_SOCKET, Socket.SO_ERROR));
        } finally {
            Unistd.close(notASocket);
        }
    }

    /**
     * The epoll_event layout proved by the kernel: a registration's data comes back from epoll_wait
     * intact (a 64-bit value at the packed offset 4 on x86_64), with the ready flags.
     */
    @Test
    void epollReturnsTheRegisteredDataAndFlags() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            int ep = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
            int ln = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_NONBLOCK, 0));
            int client = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0));
            try {
                Errno.check("bind", Socket.bind(ln, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, 0)));
                Errno.check("listen", Socket.listen(ln, 8));
                RawSockaddrAny bound = new RawSockaddrAny(arena);
                Errno.check("getsockname", Socket.getsockname(ln, bound));
                assertEquals(Socket.AF_INET, bound.family());
                assertEquals(SockaddrIn.SIZE, bound.sockaddr().byteSize());
                int port = SockaddrIn.port(bound.sockaddr());
                assertTrue(port > 0);

                MemorySegment ev = EpollEvent.allocate(arena);
                long data = 0x1234_5678_9abc_def0L;
                EpollEvent.set(ev, EPoll.EPOLLIN | EPoll.EPOLLET, data);
                Errno.check("epoll_ctl", EPoll.ctl(ep, EPoll.EPOLL_CTL_ADD, ln, ev));

                MemorySegment events = EpollEvent.allocateArray(arena, 4);
                assertEquals(0, EPoll.wait(ep, events, 4, 0), "nothing pending yet");
                assertEquals(0, connect(client, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, port)));
                assertEquals(1, Errno.check("epoll_wait", EPoll.wait(ep, events, 4, 5000)));
                assertEquals(data, EpollEvent.data(events, 0));
                assertEquals(EPoll.EPOLLIN, EpollEvent.events(events, 0) & EPoll.EPOLLIN);
            } finally {
                Unistd.close(client);
                Unistd.close(ln);
                Unistd.close(ep);
            }
        }
    }

    private static int connect(int fd, MemorySegment sa) {
        return Socket.connect(fd, sa);
    }

    /** connect(2) to a port nobody listens on: the kernel refuses, and the binding says so as -errno. */
    @Test
    void connectToAClosedPortIsRefused() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            int ln = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0));
            int port;
            try {
                Errno.check("bind", Socket.bind(ln, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, 0)));
                RawSockaddrAny bound = new RawSockaddrAny(arena);
                Errno.check("getsockname", Socket.getsockname(ln, bound));
                port = SockaddrIn.port(bound.sockaddr());
            } finally {
                Unistd.close(ln); // bound but never listening: nothing accepts on the port
            }
            int client = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0));
            try {
                int r = Socket.connect(client, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, port));
                assertTrue(r < 0, "connect succeeded: " + r);
                assertEquals("ECONNREFUSED", Errno.name(-r));
            } finally {
                Unistd.close(client);
            }
        }
    }

    /**
     * An anonymous mapping is zero-filled, readable and writable, and munmap gives it back; a
     * length the kernel refuses (0, mmap(2) EINVAL) is a SyscallException naming mmap.
     */
    @Test
    void anonymousMappingsAreZeroedWritableAndUnmapped() throws SyscallException {
        MemorySegment m = Mman.mapAnonymous(32 * 1024);
        try {
            assertEquals(32 * 1024, m.byteSize());
            assertEquals(0, m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 32 * 1024 - 1), "zero-filled");
            m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 4096, (byte) 7);
            assertEquals(7, m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 4096));
        } finally {
            assertEquals(0, Mman.munmap(m));
        }
        SyscallException e = org.junit.jupiter.api.Assertions.assertThrows(SyscallException.class, () -> Mman.mapAnonymous(0));
        assertEquals("mmap: EINVAL (Invalid argument)", e.getMessage());
    }

    /** A listener on 127.0.0.1 and a client connected to it (blocking sockets); closed together. */
    static final class ConnectedPair implements AutoCloseable {
        final int listener;
        final int client;
        int server = -1;

        ConnectedPair(Arena arena) throws SyscallException {
            listener = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0));
            client = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0));
            try {
                Errno.check("bind", Socket.bind(listener, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, 0)));
                Errno.check("listen", Socket.listen(listener, 1));
                RawSockaddrAny bound = new RawSockaddrAny(arena);
                Errno.check("getsockname", Socket.getsockname(listener, bound));
                Errno.check("connect", Socket.connect(client, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1},
                        SockaddrIn.port(bound.sockaddr()))));
            } catch (SyscallException | RuntimeException e) {
                close();
                throw e;
            }
        }

        /** The server's end of the connection. */
        int accept(Arena arena) throws SyscallException {
            server = Errno.check("accept4", Socket.accept4(listener, new RawSockaddrAny(arena), 0));
            return server;
        }

        @Override
        public void close() {
            if (server >= 0) Unistd.close(server);
            Unistd.close(client);
            Unistd.close(listener);
        }
    }

    /** send and recv on a connected pair: bytes across, then EOF after the peer's shutdown(SHUT_WR). */
    @Test
    void sendAndRecvMoveBytesAndRecvSeesEof() throws SyscallException {
        try (Arena arena = Arena.ofConfined(); ConnectedPair pair = new ConnectedPair(arena)) {
            int server = pair.accept(arena);
            assertEquals(5, Socket.send(pair.client, arena.allocateFrom("hello"), 5, Socket.MSG_NOSIGNAL));
            Errno.check("shutdown", Socket.shutdown(pair.client, Socket.SHUT_WR));
            MemorySegment buf = arena.allocate(16);
            assertEquals(5, Socket.recv(server, buf, 16, 0));
            assertEquals("hello", buf.getString(0));
            assertEquals(0, Socket.recv(server, buf, 16, 0), "EOF after the peer's shutdown(SHUT_WR)");
        }
    }

    /**
     * SO_RCVTIMEO bounds a blocking recv (socket(7)): with nothing to read, recv(2) gives up with
     * EAGAIN instead of blocking for ever, and the option reads back as the timeval set.
     */
    @Test
    void receiveTimeoutEndsABlockingReadWithEagain() throws SyscallException {
        try (Arena arena = Arena.ofConfined(); ConnectedPair pair = new ConnectedPair(arena)) {
            int client = pair.client;
            Errno.check("setsockopt", Socket.setsockoptTimeval(client, Socket.SO_RCVTIMEO, 1_500)); // whole jiffies for HZ 100, 250 and 1000: read back unrounded
            MemorySegment tv = arena.allocate(Socket.TIMEVAL);
            MemorySegment len = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_INT, (int) Socket.TIMEVAL.byteSize());
            Errno.check("getsockopt", Socket.getsockopt(client, Socket.SOL_SOCKET, Socket.SO_RCVTIMEO, tv, len));
            assertEquals(1, tv.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0), "tv_sec");
            assertEquals(500_000, tv.get(java.lang.foreign.ValueLayout.JAVA_LONG, 8), "tv_usec");
            Errno.check("setsockopt", Socket.setsockoptTimeval(client, Socket.SO_RCVTIMEO, 50));
            assertEquals(-Errno.EAGAIN, Socket.recv(client, arena.allocate(16), 16, 0), "the peer never sent anything");
        }
    }
}
