package dev.ffmecho.jmh;

import dev.ffmecho.sys.Unistd;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What one small message costs through each way Java can call {@code read}/{@code write}: one op is
 * a 64-byte {@code write} into one end of a connected {@code socketpair(AF_UNIX, SOCK_STREAM)} and a
 * 64-byte {@code read} from the other end, so the socket never fills and neither call blocks. The
 * C version of the same loop is {@code jmh/bench/downcall_loop.c}; {@code jmh/bench/downcalls.sh}
 * runs both and writes the comparison.
 *
 * <p>Each FFM variant links its own {@code read}/{@code write} handles (static finals, so the JIT
 * sees constants) with the linker options it measures. Every variant checks both results, as a real
 * caller must, and the errno-capturing ones turn a failure into {@code -errno} the way
 * {@code dev.ffmecho.sys.Downcalls#resultOrErrno} does.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(jvmArgsAppend = "--enable-native-access=ALL-UNNAMED") // the forked JVM runs from the class path: no manifest
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DowncallBench {
    static final int SIZE = 64;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final FunctionDescriptor RW = FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG);
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);
    private static final Linker.Option CRITICAL_HEAP = Linker.Option.critical(true);

    // ffmPlain: no options.
    private static final MethodHandle PLAIN_READ = link("read");
    private static final MethodHandle PLAIN_WRITE = link("write");
    // ffmCaptureErrno: errno copied into a segment by the stub, like every binding of the product.
    private static final MethodHandle CAPTURE_READ = link("read", CAPTURE);
    private static final MethodHandle CAPTURE_WRITE = link("write", CAPTURE);
    // ffmCritical: no thread-state transition (no safepoint poll on return); native buffer.
    private static final MethodHandle CRITICAL_READ = link("read", CRITICAL);
    private static final MethodHandle CRITICAL_WRITE = link("write", CRITICAL);
    // ffmCriticalCaptureErrno: both.
    private static final MethodHandle CRITICAL_CAPTURE_READ = link("read", CRITICAL, CAPTURE);
    private static final MethodHandle CRITICAL_CAPTURE_WRITE = link("write", CRITICAL, CAPTURE);
    // ffmCriticalHeap: critical(true), so the data buffer may be a byte[]; errno captured too.
    static final MethodHandle HEAP_READ = link("read", CRITICAL_HEAP, CAPTURE);
    static final MethodHandle HEAP_WRITE = link("write", CRITICAL_HEAP, CAPTURE);

    static MethodHandle link(String name, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), RW, options);
    }

    /** {@code result}, or {@code -errno} when it failed: the product's convention. */
    static long resultOrErrno(long result, MemorySegment state) {
        return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
    }

    static long check(long w, long r) {
        if ((w ^ SIZE | r ^ SIZE) != 0) throw new IllegalStateException("write returned " + w + ", read returned " + r);
        return r;
    }

    /** A blocking socketpair [a, b] with native 64-byte buffers and a native errno capture segment. */
    @State(Scope.Thread)
    public static class Pair {
        Arena arena;
        int a;
        int b;
        MemorySegment out;
        MemorySegment in;
        MemorySegment state;

        @Setup(Level.Trial)
        public void open() {
            arena = Arena.ofConfined();
            int[] fds = SocketPair.open(SocketPair.SOCK_CLOEXEC);
            a = fds[0];
            b = fds[1];
            out = arena.allocate(SIZE);
            out.fill((byte) 'x');
            in = arena.allocate(SIZE);
            state = arena.allocate(CALL_STATE); // once, never per call
        }

        @TearDown(Level.Trial)
        public void close() {
            SocketPair.close(a);
            SocketPair.close(b);
            arena.close();
        }
    }

    /**
     * The pair with heap buffers: {@code byte[]} data segments and, if this JDK lets a capture segment
     * live on the heap, an {@code int[]} one (else a native one; which one is printed at setup).
     */
    @State(Scope.Thread)
    public static class HeapPair {
        Arena arena;
        int a;
        int b;
        MemorySegment out;
        MemorySegment in;
        MemorySegment state;

        @Setup(Level.Trial)
        public void open() {
            arena = Arena.ofConfined();
            int[] fds = SocketPair.open(SocketPair.SOCK_CLOEXEC);
            a = fds[0];
            b = fds[1];
            byte[] o = new byte[SIZE];
            java.util.Arrays.fill(o, (byte) 'x');
            out = MemorySegment.ofArray(o);
            in = MemorySegment.ofArray(new byte[SIZE]);
            HeapCapture.Result probe = HeapCapture.probe(a, b, out, in);
            state = probe.heapAccepted() ? MemorySegment.ofArray(new int[1]) : arena.allocate(CALL_STATE);
            System.out.println("# ffmCriticalHeap: " + probe.describe());
        }

        @TearDown(Level.Trial)
        public void close() {
            SocketPair.close(a);
            SocketPair.close(b);
            arena.close();
        }
    }

    /** The same pair made with NIO: UNIX-domain SocketChannels, blocking, direct 64-byte ByteBuffers. */
    @State(Scope.Thread)
    public static class NioPair {
        Path dir;
        SocketChannel a;
        SocketChannel b;
        ByteBuffer out;
        ByteBuffer in;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("ffm-echo-jmh");
            UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("pair.sock"));
            try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                listener.bind(address);
                a = SocketChannel.open(address);
                b = listener.accept();
            }
            Files.deleteIfExists(address.getPath());
            Files.delete(dir);
            out = ByteBuffer.allocateDirect(SIZE);
            while (out.hasRemaining()) out.put((byte) 'x');
            in = ByteBuffer.allocateDirect(SIZE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            a.close();
            b.close();
        }
    }

    @Benchmark
    public long ffmPlain(Pair p) throws Throwable {
        long w = (long) PLAIN_WRITE.invokeExact(p.a, p.out, (long) SIZE);
        long r = (long) PLAIN_READ.invokeExact(p.b, p.in, (long) SIZE);
        return check(w, r);
    }

    @Benchmark
    public long ffmCaptureErrno(Pair p) throws Throwable {
        MemorySegment s = p.state;
        long w = resultOrErrno((long) CAPTURE_WRITE.invokeExact(s, p.a, p.out, (long) SIZE), s);
        long r = resultOrErrno((long) CAPTURE_READ.invokeExact(s, p.b, p.in, (long) SIZE), s);
        return check(w, r);
    }

    @Benchmark
    public long ffmCritical(Pair p) throws Throwable {
        long w = (long) CRITICAL_WRITE.invokeExact(p.a, p.out, (long) SIZE);
        long r = (long) CRITICAL_READ.invokeExact(p.b, p.in, (long) SIZE);
        return check(w, r);
    }

    @Benchmark
    public long ffmCriticalCaptureErrno(Pair p) throws Throwable {
        MemorySegment s = p.state;
        long w = resultOrErrno((long) CRITICAL_CAPTURE_WRITE.invokeExact(s, p.a, p.out, (long) SIZE), s);
        long r = resultOrErrno((long) CRITICAL_CAPTURE_READ.invokeExact(s, p.b, p.in, (long) SIZE), s);
        return check(w, r);
    }

    @Benchmark
    public long ffmCriticalHeap(HeapPair p) throws Throwable {
        MemorySegment s = p.state;
        long w = resultOrErrno((long) HEAP_WRITE.invokeExact(s, p.a, p.out, (long) SIZE), s);
        long r = resultOrErrno((long) HEAP_READ.invokeExact(s, p.b, p.in, (long) SIZE), s);
        return check(w, r);
    }

    /** What the server really calls: {@code dev.ffmecho.sys.Unistd}, with its per-thread capture segment. */
    @Benchmark
    public long ffmEchoShipped(Pair p) {
        long w = Unistd.write(p.a, p.out, SIZE);
        long r = Unistd.read(p.b, p.in, SIZE);
        return check(w, r);
    }

    @Benchmark
    public long nioSocketChannel(NioPair p) throws IOException {
        ByteBuffer out = p.out.clear();
        long w = p.a.write(out);
        ByteBuffer in = p.in.clear();
        long r = p.b.read(in);
        return check(w, r);
    }
}
