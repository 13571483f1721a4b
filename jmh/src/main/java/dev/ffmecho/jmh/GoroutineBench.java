package dev.ffmecho.jmh;

import dev.ffmecho.net.IP;
import dev.ffmecho.net.Profile;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.net.TCPConn;
import dev.ffmecho.net.TCPListener;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.poll.Splice;
import dev.ffmecho.server.Copy;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SockaddrIn;
import dev.ffmecho.sys.Socket;
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

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Goroutine mode's per-message path on one loopback TCP connection, as {@code --mode goroutine}
 * runs it: the connection comes from the product's {@link TCPListener#accept}, and a virtual thread
 * runs {@link Copy#copy} on it ({@code io.Copy(conn, conn)}: splices with {@code go1.19}, reads and
 * writes through a 32 KiB buffer with {@code go1.6}), parking in the {@link Netpoller} at each
 * EAGAIN. One op: the client (this thread, a blocking socket through {@code sys.Socket}) sends 64
 * bytes and receives their echo; in between the netpoller's poller thread finds the data, unparks
 * the handler, which copies the bytes back, gets EAGAIN and parks again.
 *
 * <p>Run with {@code -prof gc}: {@code gc.alloc.rate.norm} counts what every thread allocated
 * (the carrier and the poller thread included), so it is the whole round's allocation: the
 * product's own share must be 0. {@link VirtualThreadParkBench} measures what the JDK's
 * park/unpark of a virtual thread allocates by itself, to tell the two apart.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(jvmArgsAppend = "--enable-native-access=ALL-UNNAMED") // the forked JVM runs from the class path: no manifest
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class GoroutineBench {
    static final int SIZE = 64;

    @Param({"go1.19", "go1.6"})
    public String profile;

    private Arena arena;
    private Netpoller poller;
    private Splice splice;
    private TCPListener listener;
    private TCPConn conn;
    private Thread handler;
    private volatile Throwable handlerFailure;
    private int client;
    private MemorySegment out;
    private MemorySegment in;

    @Setup(Level.Trial)
    public void open() throws SyscallException {
        Profile p = Profile.of(profile);
        arena = Arena.ofShared(); // the handler's copy buffer is used on its virtual thread
        poller = p.newNetpoller();
        splice = p.newSplice();
        listener = TCPListener.listen(p, new TCPAddr(IP.v4(127, 0, 0, 1), 0), poller);
        client = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_CLOEXEC, 0));
        Errno.check("connect", Socket.connect(client, SockaddrIn.of(arena, new byte[] {127, 0, 0, 1}, listener.addr().port())));
        Errno.check("setsockopt", Socket.setsockoptInt(client, Socket.SOL_TCP, Socket.TCP_NODELAY, 1));
        conn = listener.accept(); // the client is queued already: accept4 succeeds without waiting
        MemorySegment buf = p.copiesThroughBuffer() ? arena.allocate(Copy.BUFFER_SIZE) : MemorySegment.NULL;
        handler = Thread.ofVirtual().name("jmh-conn").start(() -> {
            try {
                Copy.copy(conn, conn, buf, splice);
            } catch (IOException | RuntimeException e) {
                handlerFailure = e;
            }
        });
        out = arena.allocate(SIZE);
        out.fill((byte) 'x');
        in = arena.allocate(SIZE);
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        Socket.shutdown(client, Socket.SHUT_WR); // EOF: the handler's copy returns
        handler.join(TimeUnit.SECONDS.toMillis(10));
        boolean ended = !handler.isAlive();
        conn.close();
        Unistd.close(client);
        listener.close();
        splice.close();
        poller.close();
        arena.close();
        if (!ended) throw new IllegalStateException("the handler did not end at EOF");
        if (handlerFailure != null) throw new IllegalStateException("the handler failed", handlerFailure);
    }

    @Benchmark
    public long goroutinePerMessage() {
        long w = Socket.send(client, out, SIZE, Socket.MSG_NOSIGNAL);
        if (w != SIZE) throw new IllegalStateException("client send returned " + w);
        long got = 0;
        while (got < SIZE) {
            long r = Socket.recv(client, got == 0 ? in : in.asSlice(got), SIZE - got, 0);
            if (r <= 0) throw new IllegalStateException("client recv returned " + r + " after " + got + " bytes");
            got += r;
        }
        return got;
    }
}
