package dev.ffmecho.jmh;

import dev.ffmecho.server.EchoConnections;
import dev.ffmecho.server.Trigger;
import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The event loop's per-message path, as {@code EventLoopServer}'s loop runs it, on one connection:
 * a client writes 64 bytes into end {@code a} of a socketpair, the loop polls once
 * ({@code epoll_wait(epfd, events, 16, 0)}), serves deferred connections, hands each event to
 * {@link EchoConnections#onEvent} (which reads the 64 bytes from {@code b} and writes them back —
 * edge-triggered, the short read ends the turn as it would after EAGAIN), and the client reads
 * the echo from {@code a}.
 *
 * <p>Everything is the product's code: {@code sys.Unistd}/{@code sys.EPoll} for the client side
 * too. {@code b} is non-blocking as an accepted connection is; {@code a} blocks. Run with
 * {@code -prof gc}: the path must allocate nothing ({@code gc.alloc.rate.norm} ≈ 0 B/op).
 *
 * <p>{@link EchoConnections#add} sets TCP_NODELAY, which fails with EOPNOTSUPP on an AF_UNIX
 * socket; add() ignores that result, as it is meant to.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(jvmArgsAppend = "--enable-native-access=ALL-UNNAMED") // the forked JVM runs from the class path: no manifest
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class EventLoopBench {
    static final int SIZE = 64;
    static final int MAX_EVENTS = 16;

    @Param({"LEVEL", "EDGE"})
    public Trigger trigger;

    private Arena arena;
    private int a;
    private int b;
    private int epfd;
    private EchoConnections conns;
    private MemorySegment events;
    private MemorySegment out;
    private MemorySegment in;

    @Setup(Level.Trial)
    public void open() throws SyscallException {
        arena = Arena.ofConfined();
        int[] fds = SocketPair.open(SocketPair.SOCK_CLOEXEC);
        a = fds[0];
        b = fds[1];
        int flags = Errno.check("fcntl", Unistd.fcntl(b, Unistd.F_GETFL, 0));
        Errno.check("fcntl", Unistd.fcntl(b, Unistd.F_SETFL, flags | Unistd.O_NONBLOCK));
        epfd = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
        conns = new EchoConnections(arena, epfd, trigger, new AtomicInteger(), System.err, "jmh");
        conns.add(b);
        events = EpollEvent.allocateArray(arena, MAX_EVENTS);
        out = arena.allocate(SIZE);
        out.fill((byte) 'x');
        in = arena.allocate(SIZE);
    }

    @TearDown(Level.Trial)
    public void close() {
        conns.closeAll();
        Unistd.close(a);
        Unistd.close(epfd);
        arena.close();
    }

    @Benchmark
    public long eventLoopPerMessage() throws SyscallException {
        long w = Unistd.write(a, out, SIZE);
        if (w != SIZE) throw new IllegalStateException("client write returned " + w);
        // One turn of EventLoopServer.Loop.run: poll without blocking, deferred first, then the batch.
        int n = Errno.check("epoll_wait", EPoll.wait(epfd, events, MAX_EVENTS, 0));
        conns.serveDeferred();
        for (int i = 0; i < n; i++) {
            int fd = (int) EpollEvent.data(events, i);
            if (conns.owns(fd)) conns.onEvent(fd, EpollEvent.events(events, i));
        }
        if (n == 0) throw new IllegalStateException("epoll_wait saw nothing: the echo would never come");
        long r = Unistd.read(a, in, SIZE);
        if (r != SIZE) throw new IllegalStateException("client read returned " + r);
        return r;
    }
}
