package dev.ffmecho.poll;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The netpoller on its own, on pipes (pollable like sockets, and local): a read that finds nothing
 * parks until the data comes, whichever thread polls, for virtual and platform threads, with many
 * waiters at once — Go's {@code read → EAGAIN → pd.Wait → read} loop, written once in {@link FD}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetpollerTest {

    /** A non-blocking pipe: the read end registered with the poller, the write end plain. */
    private record Pipe(FD reader, int writeFd) {
        static Pipe open(Arena arena, Netpoller poller) throws SyscallException {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            Errno.check("pipe2", Unistd.pipe2(fds, Unistd.O_CLOEXEC | Unistd.O_NONBLOCK));
            return new Pipe(FD.open(fds.get(JAVA_INT, 0), poller), fds.get(JAVA_INT, 4));
        }

        void write(Arena arena, String s) {
            MemorySegment bytes = arena.allocateFrom(s);
            assertEquals(s.length(), Unistd.write(writeFd, bytes, s.length()));
        }

        void close() throws SyscallException {
            reader.close();
            Unistd.close(writeFd);
        }
    }

    /** Starts a thread of the kind given that reads once from {@code p} into the results. */
    private static Thread reader(boolean virtual, Pipe p, AtomicLong got, AtomicReference<Throwable> failed) {
        Runnable r = () -> {
            try (Arena arena = Arena.ofConfined()) {
                got.set(p.reader().read(arena.allocate(16), 16));
            } catch (Throwable t) {
                failed.set(t);
            }
        };
        return virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().start(r);
    }

    @ParameterizedTest
    @EnumSource(Netpoller.Flavor.class)
    void aReadThatFindsNothingParksUntilTheWriterWrites(Netpoller.Flavor flavor) throws Exception {
        for (boolean virtual : new boolean[] {true, false}) {
            try (Arena arena = Arena.ofShared(); Netpoller poller = new Netpoller(flavor)) {
                Pipe p = Pipe.open(arena, poller);
                AtomicLong got = new AtomicLong(-1);
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread t = reader(virtual, p, got, failed);
                t.join(200);
                assertTrue(t.isAlive(), "parked while the pipe is empty (" + (virtual ? "virtual" : "platform") + ")");
                p.write(arena, "hi");
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertFalse(t.isAlive(), "woken by the write");
                assertNull(failed.get());
                assertEquals(2, got.get());
                p.close();
            }
        }
    }

    /**
     * Fifty readers parked at once, on fifty pipes, written in reverse order: each wakes with its
     * own byte, whichever of them holds the poller role when its pipe becomes readable.
     */
    @Test
    void manyParkedReadersEachWakeForTheirOwnPipe() throws Exception {
        int n = 50;
        try (Arena arena = Arena.ofShared(); Netpoller poller = new Netpoller(Netpoller.Flavor.GO1_19)) {
            List<Pipe> pipes = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            List<AtomicLong> got = new ArrayList<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            for (int i = 0; i < n; i++) {
                pipes.add(Pipe.open(arena, poller));
                got.add(new AtomicLong(-1));
                threads.add(reader(true, pipes.get(i), got.get(i), failed));
            }
            Thread.sleep(200);
            for (int i = n - 1; i >= 0; i--) pipes.get(i).write(arena, "x".repeat(1 + i % 7));
            for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(20));
            assertNull(failed.get());
            for (int i = 0; i < n; i++) {
                assertFalse(threads.get(i).isAlive(), "reader " + i + " woke");
                assertEquals(1 + i % 7, got.get(i).get(), "reader " + i + " read its own pipe's bytes");
            }
            for (Pipe p : pipes) p.close();
        }
    }

    /** Data already there: the read returns at once, without parking (the EAGAIN path not taken). */
    @Test
    void aReadWithDataWaitingDoesNotPark() throws Exception {
        try (Arena arena = Arena.ofShared(); Netpoller poller = new Netpoller(Netpoller.Flavor.GO1_6)) {
            Pipe p = Pipe.open(arena, poller);
            p.write(arena, "hello");
            assertEquals(5, p.reader().read(arena.allocate(16), 16));
            p.close();
        }
    }
}
