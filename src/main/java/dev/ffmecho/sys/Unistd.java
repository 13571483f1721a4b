package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code <unistd.h>} and {@code <fcntl.h>}: read, write, close, openat. */
public final class Unistd {
    public static final int AT_FDCWD = -100;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;

    private static final MethodHandle READ = Downcalls.errnoCapturing("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Downcalls.errnoCapturing("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = Downcalls.errnoCapturing("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** openat is variadic ({@code mode} is read only with O_CREAT/O_TMPFILE): declared as such. */
    private static final MethodHandle OPENAT = Downcalls.errnoCapturing("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(3));

    private Unistd() {}

    /** read(2) of up to {@code count} bytes into {@code buf}. */
    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment state = Downcalls.callState();
        try {
            long r = Downcalls.resultOrErrno((long) READ.invokeExact(state, fd, buf, count), state);
            if (Narrator.ENABLED) Narrator.read(fd, buf, count, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** write(2) of {@code count} bytes from {@code buf}. */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment state = Downcalls.callState();
        try {
            long r = Downcalls.resultOrErrno((long) WRITE.invokeExact(state, fd, buf, count), state);
            if (Narrator.ENABLED) Narrator.write(fd, buf, count, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** close(2). */
    public static int close(int fd) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) CLOSE.invokeExact(state, fd), state);
            if (Narrator.ENABLED) Narrator.close(fd, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** openat(2) without O_CREAT: {@code mode} is passed as 0 and ignored by the kernel. */
    public static int openat(int dirfd, String path, int flags) {
        MemorySegment state = Downcalls.callState();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            int r = Downcalls.resultOrErrno((int) OPENAT.invokeExact(state, dirfd, cpath, flags, 0), state);
            if (Narrator.ENABLED) Narrator.openat(dirfd, path, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
