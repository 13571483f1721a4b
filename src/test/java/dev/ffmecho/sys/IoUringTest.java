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
 */
class IoUringTest {
    private static final long ACCEPT = 1;
    private static final long RECV = 2;
    private static final long SEND = 3;
    private static final int GROUP = 7;

    @Test
    void setupTakesTheNewestFlagsThisKernelKnowsAndTheProbeListsTheEventLoopsOpcodes() throws SyscallException {
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
    }

    @Test
    void anUnknownFlagIsSkippedForTheNextSet() throws SyscallException {
        int unknown = 1 << 30;
        try (IoUringRings ring = IoUringRings.setup(8, unknown, 0)) {
            assertEquals(0, ring.setupFlags());
        }
        SyscallException e = org.junit.jupiter.api.Assertions.assertThrows(SyscallException.class, () -> IoUringRings.setup(8, unknown));
        assertEquals("io_uring_setup: EINVAL (Invalid argument)", e.getMessage());
    }

    @Test
    void aWaitWithNothingInFlightTimesOut() throws SyscallException {
        try (IoUringRings ring = IoUringRings.setup(8, IoUringRings.SETUP_FLAGS_NEWEST_FIRST)) {
            long t0 = System.nanoTime();
            assertEquals(0, ring.submitAndWait(1, 20_000_000L), "ETIME is a wait that ended, not an error");
            assertTrue(System.nanoTime() - t0 >= 15_000_000L, "it waited");
            assertEquals(0, ring.completions());
        }
    }

    @Test
    void multishotAcceptAndRecvThenSendEchoesTheBytes() throws SyscallException {
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
    }
}
