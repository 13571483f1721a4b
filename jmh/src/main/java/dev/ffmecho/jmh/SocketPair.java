package dev.ffmecho.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code socketpair(2)}, bound here for the benchmarks only (the product never needs it, so it is
 * not in {@code dev.ffmecho.sys}). Setup code, not measured: errno is read through the capture
 * segment only to say why it failed.
 */
final class SocketPair {
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SOCKETPAIR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("socketpair").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private SocketPair() {}

    /** A connected {@code AF_UNIX, SOCK_STREAM} pair, {@code [a, b]}; {@code flags} are SOCK_NONBLOCK/SOCK_CLOEXEC. */
    static int[] open(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int r = (int) SOCKETPAIR.invokeExact(state, AF_UNIX, SOCK_STREAM | flags, 0, sv);
            if (r != 0) throw new IllegalStateException("socketpair failed, errno " + state.get(JAVA_INT, 0));
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * close(2), linked here rather than taken from {@code sys.Unistd}: a benchmark that never touched
     * Unistd would initialize it in its trial tear-down, and the megabytes its handles take to link
     * would show up in the last iteration's {@code gc.alloc.rate.norm}.
     */
    static void close(int fd) {
        try {
            int r = (int) CLOSE.invokeExact(fd);
            if (r != 0) throw new IllegalStateException("close(" + fd + ") failed");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
