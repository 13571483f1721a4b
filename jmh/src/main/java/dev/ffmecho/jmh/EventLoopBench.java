package dev.ffmecho.jmh;

import dev.ffmecho.loop.Backend;
import dev.ffmecho.loop.EventLoop;
import dev.ffmecho.loop.Io;
import dev.ffmecho.loop.Trigger;
import dev.ffmecho.sys.Errno;
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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The event loop's per-message path, as an {@code EventLoop} runs it, on one connection: a client
 * writes 64 bytes into end {@code a} of a socketpair, the loop's backend takes its turns until the
 * echo has gone out of end {@code b}, and the client reads it back from {@code a}.
 * <ul>
 *   <li>epoll ({@code EPOLL_LEVEL}, {@code EPOLL_EDGE}): one turn — {@code epoll_wait(…, 512, 0)}, then
 *       read and write (edge-triggered, the short read ends the turn as EAGAIN would).</li>
 *   <li>io_uring: two turns — the first waits for the multishot recv's completion and prepares the
 *       send, the second submits it and reaps its completion. A loop serving many connections
 *       carries the sends of one turn in the next turn's wait; one connection in ping-pong cannot.</li>
 * </ul>
 *
 * <p>In the trial's last iteration JMH's {@code -prof gc} also counts the tear-down, whose first
 * calls of close paths (munmap, unregistering the buffer ring) link their downcalls: about 1.2 B/op
 * there with io_uring, 0.03 in every other iteration.
 *
 * <p>Everything is the product's code: {@code sys.Unistd} for the client side too. {@code b} is
 * non-blocking as an accepted connection is; {@code a} blocks. Run with {@code -prof gc}: the path
 * must allocate nothing ({@code gc.alloc.rate.norm} ≈ 0 B/op).
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(jvmArgsAppend = "--enable-native-access=ALL-UNNAMED") // the forked JVM runs from the class path: no manifest
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class EventLoopBench {
    static final int SIZE = 64;

    /** The backend and, for epoll, its trigger. */
    public enum Backing {
        EPOLL_LEVEL(Io.EPOLL, Trigger.LEVEL, 1, 0),
        EPOLL_EDGE(Io.EPOLL, Trigger.EDGE, 1, 0),
        IO_URING(Io.IO_URING, Trigger.LEVEL, 2, 1000);

        final Io io;
        final Trigger trigger;
        final int turns;
        /** The first turn's wait: none for epoll (the message is there), up to 1 s for the recv's completion. */
        final int firstWaitMillis;

        Backing(Io io, Trigger trigger, int turns, int firstWaitMillis) {
            this.io = io;
            this.trigger = trigger;
            this.turns = turns;
            this.firstWaitMillis = firstWaitMillis;
        }
    }

    @Param({"EPOLL_LEVEL", "EPOLL_EDGE", "IO_URING"})
    public Backing backing;

    private Arena arena;
    private int a;
    private int wakeFd;
    private Backend backend;
    private final Unexpected events = new Unexpected();
    private MemorySegment out;
    private MemorySegment in;

    /** The backend's reports: a benchmark connection must never fail, nor close before the tear-down. */
    private static final class Unexpected implements Backend.Events {
        boolean tearingDown;
        @Override public void accepted(int fd) { throw new IllegalStateException("no listener here"); }
        @Override public boolean acceptFailed(int errno) { throw new IllegalStateException("no listener here"); }
        @Override public void woken() { }
        @Override public void failed(int fd, String call, int errno) { throw new IllegalStateException(call + ": errno " + errno); }
        @Override public void closed(int fd) { if (!tearingDown) throw new IllegalStateException("the connection closed"); }
    }

    @Setup(Level.Trial)
    public void open() throws IOException {
        arena = Arena.ofConfined();
        int[] fds = SocketPair.open(SocketPair.SOCK_CLOEXEC);
        a = fds[0];
        int b = fds[1];
        int flags = Errno.check("fcntl", Unistd.fcntl(b, Unistd.F_GETFL, 0));
        Errno.check("fcntl", Unistd.fcntl(b, Unistd.F_SETFL, flags | Unistd.O_NONBLOCK));
        wakeFd = Errno.check("eventfd2", Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK));
        backend = EventLoop.newBackend(backing.io, backing.trigger, wakeFd, events);
        backend.add(b);
        out = arena.allocate(SIZE);
        out.fill((byte) 'x');
        in = arena.allocate(SIZE);
    }

    @TearDown(Level.Trial)
    public void close() {
        events.tearingDown = true;
        backend.close();
        Unistd.close(a);
        Unistd.close(wakeFd);
        arena.close();
    }

    @Benchmark
    public long eventLoopPerMessage() throws IOException {
        long w = Unistd.write(a, out, SIZE);
        if (w != SIZE) throw new IllegalStateException("client write returned " + w);
        backend.poll(backing.firstWaitMillis);
        for (int t = 1; t < backing.turns; t++) backend.poll(0);
        long r = Unistd.read(a, in, SIZE);
        if (r != SIZE) throw new IllegalStateException("client read returned " + r);
        return r;
    }
}
