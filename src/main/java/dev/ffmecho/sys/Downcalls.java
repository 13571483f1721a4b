package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The one place that links libc symbols. Every binding in this package is made here, once, from a
 * name and a {@link FunctionDescriptor}; every binding captures errno.
 *
 * <p>Why capture errno: between the native call returning and Java code running, the JVM itself may
 * make libc calls (safepoint polls, GC, JIT) that overwrite the thread's errno. So reading errno
 * with a second downcall to {@code __errno_location} is racy. {@code Linker.Option.captureCallState}
 * makes the downcall stub copy errno into a segment we pass, immediately after the call returns.
 *
 * <p>Convention, borrowed from the raw kernel ABI and Go's runtime ({@code runtime/sys_linux_amd64.s}
 * returns {@code -errno}): the wrappers return the call's result when it succeeds and
 * {@code -errno} when it fails. That keeps EAGAIN off the exception path; callers that want an
 * exception call {@link Errno#check}.
 */
final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(groupElement("errno"));

    /**
     * One capture segment per thread, for the thread's lifetime: allocated from an automatic arena
     * so it is freed when the thread (and with it this ThreadLocal's value) is gone. Allocation
     * happens once per thread, never per call.
     */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    /**
     * Room for the small in/out arguments of one call (an int option and its length), per thread
     * and only for threads that ask: the accept loop sets five options per connection, and an
     * arena per call would be five arenas of garbage per connection. A wrapper uses the cells only
     * between entering and returning, and wrappers do not nest, so one pair per thread is enough.
     */
    private static final ThreadLocal<IntCells> INT_CELLS = ThreadLocal.withInitial(IntCells::allocate);

    /** Two {@code int} argument cells: an option's value and its {@code socklen_t}. */
    record IntCells(MemorySegment value, MemorySegment len) {
        private static IntCells allocate() {
            MemorySegment both = Arena.ofAuto().allocate(JAVA_INT, 2);
            return new IntCells(both.asSlice(0, JAVA_INT.byteSize()), both.asSlice(JAVA_INT.byteSize(), JAVA_INT.byteSize()));
        }
    }

    private Downcalls() {}

    /** Links {@code name} with errno capture: the handle takes the capture segment as first argument. */
    static MethodHandle errnoCapturing(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    /** Links {@code name} plainly, for functions that do not report through errno (strerror). */
    static MethodHandle plain(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** This thread's int argument cells, see {@link #INT_CELLS}. */
    static IntCells intCells() {
        return INT_CELLS.get();
    }

    /** This thread's errno capture segment. */
    static MemorySegment callState() {
        return STATE.get();
    }

    /** {@code result} if the call succeeded, else {@code -errno} as captured for this call. */
    static int resultOrErrno(int result, MemorySegment state) {
        return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
    }

    /** The {@code ssize_t} flavour of {@link #resultOrErrno(int, MemorySegment)}. */
    static long resultOrErrno(long result, MemorySegment state) {
        return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
    }

    /** A downcall handle can only throw what the linker throws; surface it unchanged. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("unexpected checked exception from a downcall", t);
    }
}
