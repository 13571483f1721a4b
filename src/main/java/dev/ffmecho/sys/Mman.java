package dev.ffmecho.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <sys/mman.h>}: mmap and munmap of private anonymous memory. Its pages cost nothing until
 * first touched (mmap(2): "the mapping is not backed by any file; its contents are initialized to
 * zero"; the kernel maps a page on the first write to it), unlike an {@code Arena}'s allocation,
 * which zero-fills, and so touches, every byte. For a buffer that an idle connection holds but
 * rarely fills, that is the difference between a page and the whole buffer in RSS.
 */
public final class Mman {
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;

    private static final MethodHandle MMAP = Downcalls.errnoCapturing("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Downcalls.errnoCapturing("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    /** {@code MAP_FAILED}, {@code (void *) -1}. */
    private static final long MAP_FAILED = -1L;

    private Mman() {}

    /**
     * mmap(2) of {@code length} bytes, read-write, private and anonymous, where the kernel chooses.
     * @return the mapping, {@code length} bytes long, in the global scope: {@link #munmap} it, e.g.
     *         from the cleanup of an arena that the caller ties it to with {@code reinterpret}
     */
    public static MemorySegment mapAnonymous(long length) throws SyscallException {
        return map(length, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, read-write, shared and
     * prefaulted (MAP_POPULATE): how io_uring's rings are reached (io_uring_setup(2)). Same
     * lifetime rules as {@link #mapAnonymous}.
     */
    public static MemorySegment mapShared(int fd, long length, long offset) throws SyscallException {
        return map(length, MAP_SHARED | MAP_POPULATE, fd, offset);
    }

    private static MemorySegment map(long length, int flags, int fd, long offset) throws SyscallException {
        MemorySegment state = Downcalls.callState();
        MemorySegment addr;
        try {
            addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, PROT_READ | PROT_WRITE, flags, fd, offset);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
        if (addr.address() == MAP_FAILED) throw new SyscallException("mmap", -Downcalls.resultOrErrno(-1, state));
        return addr.reinterpret(length);
    }

    /** munmap(2) of a whole mapping made by {@link #mapAnonymous}; 0 or {@code -errno}. */
    public static int munmap(MemorySegment mapping) {
        MemorySegment state = Downcalls.callState();
        try {
            return Downcalls.resultOrErrno((int) MUNMAP.invokeExact(state, mapping, mapping.byteSize()), state);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
