package dev.ffmecho.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * {@code struct epoll_event} (sys/epoll.h). On x86_64 the kernel declares it
 * {@code __attribute__((packed))} ({@code EPOLL_PACKED} in include/uapi/linux/eventpoll.h) so the
 * 64-bit {@code data} sits at offset 4 and the struct is 12 bytes; Go mirrors that with
 * {@code data [8]byte} in runtime/defs_linux_amd64.go. Everywhere else it is naturally aligned:
 * {@code data} at 8, 16 bytes (aarch64). Any other architecture is refused rather than guessed.
 */
public final class EpollEvent {
    public static final StructLayout LAYOUT = layoutFor(System.getProperty("os.arch"));
    public static final int SIZE = (int) LAYOUT.byteSize();

    private static final VarHandle EVENTS = LAYOUT.varHandle(groupElement("events"));
    private static final VarHandle DATA = LAYOUT.varHandle(groupElement("data"));

    private EpollEvent() {}

    static StructLayout layoutFor(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> structLayout(
                    JAVA_INT.withName("events"),
                    JAVA_LONG_UNALIGNED.withName("data"));
            case "aarch64" -> structLayout(
                    JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4),
                    JAVA_LONG.withName("data"));
            default -> throw new UnsupportedOperationException(
                    "struct epoll_event layout for " + arch + " is unknown; ffm-echo supports x86_64 and aarch64");
        };
    }

    /** One event, for epoll_ctl. */
    public static MemorySegment allocate(Arena arena) {
        return arena.allocate(LAYOUT);
    }

    /** An array of {@code count} events, for epoll_wait. */
    public static MemorySegment allocateArray(Arena arena, int count) {
        return arena.allocate(LAYOUT, count);
    }

    public static void set(MemorySegment event, int events, long data) {
        EVENTS.set(event, 0L, events);
        DATA.set(event, 0L, data);
    }

    /** {@code events} of element {@code index} of an array. */
    public static int events(MemorySegment array, int index) {
        return (int) EVENTS.get(array, (long) index * SIZE);
    }

    /** {@code data.u64} of element {@code index} of an array. */
    public static long data(MemorySegment array, int index) {
        return (long) DATA.get(array, (long) index * SIZE);
    }
}
