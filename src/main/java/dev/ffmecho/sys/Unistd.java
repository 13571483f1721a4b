package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** {@code <unistd.h>} and {@code <fcntl.h>}: read, write, close, openat, pipe2, fcntl, splice. */
public final class Unistd {
    public static final int AT_FDCWD = -100;
    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_NONBLOCK = 0x800;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_SETPIPE_SZ = 1031;
    public static final int F_GETPIPE_SZ = 1032;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int SPLICE_F_NONBLOCK = 2;

    /*
     * read and write are the data path's two calls, so they are linked critical: the thread stays
     * in Java state during the call (no transition to native and back, no safepoint poll after).
     * That is safe only for calls that return promptly, because a GC cannot start while one runs —
     * and every fd ffm-echo reads or writes is non-blocking (SOCK_NONBLOCK sockets, O_NONBLOCK
     * pipes, an EFD_NONBLOCK eventfd) or a procfs file, and no call moves more than 64 KiB.
     * epoll_wait, which blocks, never is. No heap access: our buffers are native.
     * native-notes/13-performance.md has the measurements.
     */
    private static final MethodHandle READ = Downcalls.errnoCapturing("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle WRITE = Downcalls.errnoCapturing("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle CLOSE = Downcalls.errnoCapturing("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** openat is variadic ({@code mode} is read only with O_CREAT/O_TMPFILE): declared as such. */
    private static final MethodHandle OPENAT = Downcalls.errnoCapturing("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(3));

    private static final MethodHandle PIPE2 = Downcalls.errnoCapturing("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    /** fcntl is variadic; every command used here takes one int argument (or ignores it). */
    private static final MethodHandle FCNTL = Downcalls.errnoCapturing("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle EVENTFD = Downcalls.errnoCapturing("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPLICE = Downcalls.errnoCapturing("splice",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

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

    /** pipe2(2) into {@code fds}, two ints: [read end, write end]. */
    public static int pipe2(MemorySegment fds, int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) PIPE2.invokeExact(state, fds, flags), state);
            if (Narrator.ENABLED) Narrator.pipe2(fds, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** eventfd(2) (the eventfd2 syscall): a counter fd, here Go 1.23's netpoll wake-up. */
    public static int eventfd(int initval, int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) EVENTFD.invokeExact(state, initval, flags), state);
            if (Narrator.ENABLED) Narrator.eventfd(initval, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** fcntl(2) with an int argument ({@code F_SETFL}) or none that matters ({@code F_GETFL}, {@code F_GETPIPE_SZ}). */
    public static int fcntl(int fd, int cmd, int arg) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) FCNTL.invokeExact(state, fd, cmd, arg), state);
            if (Narrator.ENABLED) Narrator.fcntl(fd, cmd, arg, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** splice(2) of up to {@code len} bytes from {@code in} to {@code out}, no offsets (both are pipes or sockets). */
    public static long splice(int in, int out, long len, int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            long r = Downcalls.resultOrErrno(
                    (long) SPLICE.invokeExact(state, in, MemorySegment.NULL, out, MemorySegment.NULL, len, flags), state);
            if (Narrator.ENABLED) Narrator.splice(in, out, len, flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
