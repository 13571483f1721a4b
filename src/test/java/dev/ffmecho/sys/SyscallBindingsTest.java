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

    /** connect(2) is not a binding of the product (a server never connects); the test links it locally. */
    private static int connect(int fd, MemorySegment sa) {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var connect = linker.downcallHandle(linker.defaultLookup().find("connect").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS,
                        java.lang.foreign.ValueLayout.JAVA_INT));
        try {
            return (int) connect.invokeExact(fd, sa, (int) sa.byteSize());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
