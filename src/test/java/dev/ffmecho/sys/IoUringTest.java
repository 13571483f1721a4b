package dev.ffmecho.sys;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The raw io_uring bindings on a real loopback connection: setup with the newest flags this
 * kernel takes, the opcode probe, a multishot accept, a multishot recv into a provided buffer,
 * a send of exactly those bytes, and a wait that times out.
 *
 * <p>Each test runs on a thread of its own, as each event loop owns its ring: the kernel may finish
 * cancelling the requests still in flight when a ring closes through task work queued to the thread
 * that submitted them, which can interrupt that thread's next timed socket wait. With these tests
 * on the test runner's thread, the next class's SO_RCVTIMEO recv once returned EINTR instead of
 * EAGAIN.
 */
class IoUringTest {
    /** A test body that may throw. */
    private interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} on a fresh platform thread and rethrows what it threw. */
    private static void onOwnThread(Body body) throws Exception {
        Exception[] failure = new Exception[1];
        Error[] error = new Error[1];
        Thread t = Thread.ofPlatform().name("io_uring-test").start(() -> {
            try {
                body.run();
            } catch (Exception e) {
                failure[0] = e;
            } catch (Error e) {
                error[0] = e;
            }
        });
        t.join();
        if (error[0] != null) throw error[0];
        if (failure[0] != null) throw failure[0];
    }

    private static final long ACCEPT = 1;
    private static final long RECV = 2;
    private static final long SEND = 3;
    private static final int GROUP = 7;

    @Test
    void setupTakesTheNewestFlagsThisKernelKnowsAndTheProbeListsTheEventLoopsOpcodes() throws Exception {
        onOwnThread(() -> {
            try (IoUringRings ring = IoUringRings.setup(8, IoUringRings.SETUP_FLAGS_NEWEST_FIRST)) {
                assertTrue(ring.fd >= 0);
                assertEquals(IoUringRings.SETUP_FLAGS_NEWEST_FIRST[0], ring.setupFlags(),
                        "this kernel (6.1 or newer) takes SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|SUBMIT_ALL");
                assertTrue((ring.features() & IoUring.IORING_FEAT_EXT_ARG) != 0, "waits with a timeout need EXT_ARG");
                for (int op : new int[] {IoUring.IORING_OP_ACCEPT, IoUring.IORING_OP_RECV, IoUring.IORING_OP_SEND,
                        IoUring.IORING_OP_READ, IoUring.IORING_OP_ASYNC_CANCEL}) {
                    assertTrue(ring.supports(op), "opcode " + op);
                }
                assertTrue(!ring.supports(255), "no kernel has opcode 255");
            }
        });
    }

    @Test
    void anUnknownFlagIsSkippedForTheNextSet() throws Exception {
        onOwnThread(() -> {
            int unknown = 1 << 30;
            try (IoUringRings ring = IoUringRings.setup(8, unknown, 0)) {
                assertEquals(0, ring.setupFlags());
            }
            SyscallException e = org.junit.jupiter.api.Assertions.assertThrows(SyscallException.class, () -> IoUringRings.setup(8, unknown));
            assertEquals("io_uring_setup: EINVAL (Invalid argument)", e.getMessage());
        });
    }

    @Test
    void aWaitWithNothingInFlightTimesOut() throws Exception {
        onOwnThread(() -> {
            try (IoUringRings ring = IoUringRings.setup(8, IoUringRings.SETUP_FLAGS_NEWEST_FIRST)) {
                long t0 = System.nanoTime();
                assertEquals(0, ring.submitAndWait(1, 20_000_000L), "ETIME is a wait that ended, not an error");
                assertTrue(System.nanoTime() - t0 >= 15_000_000L, "it waited");
                assertEquals(0, ring.completions());
            }
        });
    }

    @Test
    void multishotAcceptAndRecvThenSendEchoesTheBytes() throws Exception {
        onOwnThread(() -> {
            try (Arena arena = Arena.ofConfined();
                 SyscallBindingsTest.ConnectedPair pair = new SyscallBindingsTest.ConnectedPair(arena);
                 IoUringRings ring = IoUringRings.setup(8, IoUringRings.SETUP_FLAGS_NEWEST_FIRST);
                 IoUringBufRing buffers = IoUringBufRing.register(ring, GROUP, 4, 4096)) {
                IoUringSqe.acceptMultishot(ring.sqes(), ring.nextSqe(), pair.listener, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, ACCEPT);
                assertEquals(1, ring.submitAndWait(1, 5_000_000_000L));
                assertEquals(1, ring.completions());
                long cqe = ring.completion(0);
                assertEquals(ACCEPT, IoUringCqe.userData(ring.cqes(), cqe));
                int conn = IoUringCqe.res(ring.cqes(), cqe);
                assertTrue(conn >= 0, "accepted fd, not " + conn);
                pair.server = conn;
                assertNotEquals(0, IoUringCqe.flags(ring.cqes(), cqe) & IoUring.IORING_CQE_F_MORE, "multishot: the accept stays armed");
                ring.consume(1);

                IoUringSqe.recvMultishot(ring.sqes(), ring.nextSqe(), conn, GROUP, RECV);
                assertEquals(5, Socket.send(pair.client, arena.allocateFrom("hello"), 5, Socket.MSG_NOSIGNAL));
                assertEquals(1, ring.submitAndWait(1, 5_000_000_000L));
                cqe = ring.completion(0);
                int flags = IoUringCqe.flags(ring.cqes(), cqe);
                assertEquals(RECV, IoUringCqe.userData(ring.cqes(), cqe));
                assertEquals(5, IoUringCqe.res(ring.cqes(), cqe));
                assertNotEquals(0, flags & IoUring.IORING_CQE_F_BUFFER);
                assertNotEquals(0, flags & IoUring.IORING_CQE_F_MORE);
                int bid = IoUringCqe.bufferId(flags);
                assertEquals("hello", new String(buffers.buffer(bid).asSlice(0, 5).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
                ring.consume(1);

                IoUringSqe.send(ring.sqes(), ring.nextSqe(), conn, buffers.address(bid), 5, Socket.MSG_NOSIGNAL, SEND);
                assertEquals(1, ring.submitAndWait(1, 5_000_000_000L));
                assertEquals(SEND, IoUringCqe.userData(ring.cqes(), ring.completion(0)));
                assertEquals(5, IoUringCqe.res(ring.cqes(), ring.completion(0)));
                ring.consume(1);
                buffers.recycle(bid);
                buffers.publish();
                MemorySegment back = arena.allocate(16);
                assertEquals(5, Socket.recv(pair.client, back, 16, 0));
                assertEquals("hello", back.getString(0));
            }
        });
    }

    /**
     * io_uring waits on a non-blocking fd instead of failing with EAGAIN (it arms its own poll), so
     * the event loop's SOCK_NONBLOCK sockets and EFD_NONBLOCK eventfd need no blocking twins.
     */
    @Test
    void requestsOnNonBlockingFdsWaitForDataRatherThanFailWithEagain() throws Exception {
        onOwnThread(() -> {
            int efd = Errno.check("eventfd2", Unistd.eventfd(0, Unistd.EFD_NONBLOCK | Unistd.EFD_CLOEXEC));
            try (Arena arena = Arena.ofConfined(); IoUringRings ring = IoUringRings.setup(8, IoUringRings.SETUP_FLAGS_NEWEST_FIRST)) {
                MemorySegment counter = arena.allocate(8);
                IoUringSqe.read(ring.sqes(), ring.nextSqe(), efd, counter, 9);
                assertEquals(1, ring.submitAndWait(1, 30_000_000L));
                assertEquals(0, ring.completions(), "still waiting: nothing was written");
                MemorySegment one = arena.allocate(8);
                one.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1);
                assertEquals(8, Unistd.write(efd, one, 8));
                assertEquals(0, ring.submitAndWait(1, 5_000_000_000L));
                assertEquals(1, ring.completions());
                assertEquals(9, IoUringCqe.userData(ring.cqes(), ring.completion(0)));
                assertEquals(8, IoUringCqe.res(ring.cqes(), ring.completion(0)));
                ring.consume(1);
            } finally {
                Unistd.close(efd);
            }
        });
    }
}
