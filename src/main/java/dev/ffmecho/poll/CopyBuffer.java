package dev.ffmecho.poll;

import dev.ffmecho.sys.Mman;
import dev.ffmecho.sys.SyscallException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * io.Copy's buffer for a connection that copies (go1.6's {@code genericReadFrom}: one
 * {@code make([]byte, 32*1024)} per copy), as an anonymous mapping: an idle connection holds only
 * the pages its bytes have touched, as Go's fresh zeroed spans do, where an arena's allocation
 * would zero, and so touch, all of it.
 */
public final class CopyBuffer {
    private CopyBuffer() {}

    /** {@code size} bytes, unmapped when {@code arena} closes. */
    public static MemorySegment map(Arena arena, long size) throws SyscallException {
        MemorySegment mapping = Mman.mapAnonymous(size);
        return mapping.reinterpret(arena, unused -> Mman.munmap(mapping));
    }
}
