package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransferFolderTest {

    private static final String EAGAIN_READ = "read(7, 0x7f3c8c012340, 32768) = -1 EAGAIN (Resource temporarily unavailable)";
    private static final String WAIT0 = "epoll_wait(6, [], 128, 0) = 0";
    private static final String WAIT0_OUT = "epoll_wait(6, [{events=EPOLLOUT, data={u32=7, u64=7}}], 128, 0) = 1";
    private static final String WAIT_IN = "epoll_wait(6, [{events=EPOLLIN|EPOLLOUT, data={u32=7, u64=7}}], 128, -1) = 1";
    private static final String WAIT_HUP = "epoll_wait(6, [{events=EPOLLIN|EPOLLOUT|EPOLLRDHUP, data={u32=7, u64=7}}], 128, -1) = 1";
    private static final String EOF = "read(7, \"\", 32768) = 0";

    /** A listener, one accepted conn, the given transfer lines, then Go's close. */
    private static NormalizedTrace conn(List<String> transfer) {
        List<String> lines = new ArrayList<>(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "epoll_create1(EPOLL_CLOEXEC) = 6",
                "accept4(5, {sa_family=AF_INET6, sin6_port=htons(52510), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 7",
                "epoll_ctl(6, EPOLL_CTL_ADD, 7, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=7, u64=7}}) = 0"));
        lines.addAll(transfer);
        lines.add("epoll_ctl(6, EPOLL_CTL_DEL, 7, {events=0, data={u32=0, u64=0}}) = 0");
        lines.add("close(7) = 0");
        return Fixtures.norm(String.join("\n", lines) + "\n");
    }

    private static List<String> shape(List<String> transfer) {
        return conn(transfer).lines();
    }

    @Test
    void theReferenceEchoAndADirectEchoHaveTheSameShape() {
        List<String> goLike = shape(List.of(EAGAIN_READ, WAIT0_OUT, WAIT_IN,
                "read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5",
                EAGAIN_READ, WAIT0, WAIT_HUP, EOF));
        List<String> direct = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5", EOF));
        assertEquals(goLike, direct);
        assertEquals(List.of(
                "transfer conn1: read(conn1, \"…\", 32768) → write(conn1, \"…\", n)",
                "transfer conn1: every read written back in full, partial writes continued",
                "transfer conn1: bytes in=5 out=5",
                "read(conn1, \"\", 32768) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, conn1, …) = 0",
                "close(conn1) = 0"), direct.subList(4, direct.size()));
        NormalizedTrace t = conn(List.of(EAGAIN_READ, WAIT0_OUT, WAIT_IN, "read(7, \"hello\", 32768) = 5",
                "write(7, \"hello\", 5) = 5", EAGAIN_READ, WAIT0, WAIT_HUP, EOF));
        assertEquals(1, t.counts().get(Rule.TRANSFER_FOLD));
        assertEquals(2, t.counts().get(Rule.EAGAIN_WAIT_FOLD));
    }

    /** 1 MiB echoed with reads and (partial) writes split at random, EAGAIN waits anywhere. */
    private static List<String> mebibyte(long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        int left = 1 << 20;
        while (left > 0) {
            if (r.nextInt(4) == 0) {
                out.add(EAGAIN_READ);
                if (r.nextBoolean()) out.add(WAIT0);
                out.add(WAIT_IN);
            }
            int got = Math.min(left, 1 + r.nextInt(32768));
            left -= got;
            out.add("read(7, \"\\27\\3\\3\"..., 32768) = " + got);
            int pending = got;
            while (pending > 0) {
                int wrote = r.nextInt(3) == 0 ? Math.max(1, pending / 2) : pending;
                out.add("write(7, \"\\27\\3\\3\"..., " + pending + ") = " + wrote);
                pending -= wrote;
                if (pending > 0 && r.nextBoolean()) {
                    out.add("write(7, \"\\27\\3\\3\"..., " + pending + ") = -1 EAGAIN (Resource temporarily unavailable)");
                    out.add("epoll_wait(6, [{events=EPOLLOUT, data={u32=7, u64=7}}], 128, -1) = 1");
                }
            }
            if (r.nextInt(5) == 0) out.add(WAIT0);  // a scheduler poll between rounds
        }
        out.add(EAGAIN_READ);
        out.add(WAIT_HUP);
        out.add(EOF);
        return out;
    }

    @Test
    void timingOnlyDifferencesCompareEqual() {
        List<String> a = mebibyte(1);
        List<String> b = mebibyte(2);
        assertNotEquals(a, b, "the raw transfers really differ");
        assertTrue(a.size() > 60 && b.size() > 60);
        assertEquals(shape(a), shape(b));
        assertTrue(shape(a).contains("transfer conn1: bytes in=1048576 out=1048576"), String.join("\n", shape(a)));
        assertTrue(shape(a).contains("transfer conn1: every read written back in full, partial writes continued"));
    }

    @Test
    void aWriteThatLosesBytesShows() {
        List<String> good = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5", EOF));
        List<String> lossy = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hel\", 3) = 3", EOF));
        assertNotEquals(good, lossy);
        assertTrue(lossy.contains("transfer conn1: NOT an echo: a write of 3 bytes when 5 read bytes were pending"), lossy.toString());
        assertTrue(lossy.contains("transfer conn1: bytes in=5 out=3"));
        List<String> partialNotContinued = shape(List.of("read(7, \"0123456789\", 32768) = 10",
                "write(7, \"0123456789\", 10) = 4", "write(7, \"0123456789\", 10) = 10", EOF));
        assertTrue(partialNotContinued.contains(
                "transfer conn1: NOT an echo: a write of 10 bytes when 6 read bytes were pending"), partialNotContinued.toString());
        List<String> neverWritten = shape(List.of("read(7, \"hello\", 32768) = 5", EOF));
        assertTrue(neverWritten.contains("transfer conn1: NOT an echo: 5 bytes read were never written back"));
    }

    @Test
    void aDifferentReadSizeShows() {
        List<String> go = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5", EOF));
        List<String> other = shape(List.of("read(7, \"hello\", 16384) = 5", "write(7, \"hello\", 5) = 5",
                "read(7, \"\", 16384) = 0"));
        assertNotEquals(go, other);
        assertTrue(other.get(4).contains("read(conn1, \"…\", 16384)"), other.get(4));
        List<String> mixed = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5",
                "read(7, \"hello\", 65536) = 5", "write(7, \"hello\", 5) = 5", EOF));
        assertEquals("transfer conn1: read(conn1, \"…\", 32768) | read(conn1, \"…\", 65536) → write(conn1, \"…\", n)", mixed.get(4));
    }

    @Test
    void anEagainThatIsNotRetriedShows() {
        List<String> retried = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5",
                EAGAIN_READ, WAIT0, WAIT_HUP, EOF));
        List<String> notRetried = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5",
                EAGAIN_READ, WAIT0, WAIT_HUP));
        assertNotEquals(retried, notRetried);
        assertTrue(notRetried.contains("read(conn1, …, 32768) = -1 EAGAIN"), notRetried.toString());
        assertTrue(notRetried.contains("epoll_wait(epoll1, [], 128, 0) = 0"), "its waits stay too");
        // retried with a different size is not a retry of the same call
        List<String> otherRetry = shape(List.of("read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5",
                EAGAIN_READ, WAIT_HUP, "read(7, \"\", 4096) = 0"));
        assertTrue(otherRetry.contains("read(conn1, …, 32768) = -1 EAGAIN"), otherRetry.toString());
    }

    @Test
    void aPollWithAnotherShapeInsideATransferStays() {
        List<String> l = shape(List.of(EAGAIN_READ,
                "epoll_wait(6, [{events=EPOLLIN, data={u32=7, u64=7}}], 1024, 1000) = 1",
                "read(7, \"hello\", 32768) = 5", "write(7, \"hello\", 5) = 5", EOF));
        assertTrue(l.contains("epoll_wait(epoll1, [{EPOLLIN, …}], 1024, 1000) = 1"), l.toString());
    }

    @Test
    void goSpliceTransfersFoldToo() {
        List<String> lines = new ArrayList<>(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "epoll_create1(EPOLL_CLOEXEC) = 5",
                "accept4(3, 0xc00004ac18, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 4",
                "pipe2([8, 9], O_NONBLOCK|O_CLOEXEC) = 0",
                "splice(4, NULL, 9, NULL, 4194304, SPLICE_F_NONBLOCK) = 5",
                "splice(8, NULL, 4, NULL, 5, SPLICE_F_NONBLOCK) = 5",
                "splice(4, NULL, 9, NULL, 4194304, SPLICE_F_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_pwait(5, [{events=EPOLLIN|EPOLLOUT|EPOLLRDHUP, data={u32=1, u64=1}}], 128, 0, NULL, 2) = 1",
                "splice(4, NULL, 9, NULL, 4194304, SPLICE_F_NONBLOCK) = 0",
                "close(4) = 0"));
        List<String> l = Fixtures.norm(String.join("\n", lines)).lines();
        assertEquals(List.of(
                "transfer conn1: splice(conn1, NULL, pipe1w, NULL, 4194304, SPLICE_F_NONBLOCK) → splice(pipe1r, NULL, conn1, NULL, n, SPLICE_F_NONBLOCK)",
                "transfer conn1: every read written back in full, partial writes continued",
                "transfer conn1: bytes in=5 out=5",
                "splice(conn1, NULL, pipe1w, NULL, 4194304, SPLICE_F_NONBLOCK) = 0",
                "close(conn1) = 0"), l.subList(4, l.size()));
    }

    @Test
    void interleavedConnsFoldSeparatelyAndTheAcceptPhaseIsNotFolded() {
        List<String> lines = List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "epoll_create1(EPOLL_CLOEXEC) = 6",
                "accept4(5, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                WAIT0,
                "epoll_wait(6, [{events=EPOLLIN, data={u32=5, u64=5}}], 128, -1) = 1",
                "accept4(5, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 7",
                "read(7, \"a\", 32768) = 1",
                "accept4(5, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 8",
                "read(8, \"bb\", 32768) = 2",
                "write(7, \"a\", 1) = 1",
                "write(8, \"bb\", 2) = 2",
                "read(7, \"\", 32768) = 0",
                "read(8, \"\", 32768) = 0");
        List<String> l = Fixtures.norm(String.join("\n", lines)).lines();
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN",
                "epoll_wait(epoll1, [], 128, 0) = 0",
                "epoll_wait(epoll1, [{EPOLLIN, …}], 128, -1) = 1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "transfer conn1: read(conn1, \"…\", 32768) → write(conn1, \"…\", n)",
                "transfer conn1: every read written back in full, partial writes continued",
                "transfer conn1: bytes in=1 out=1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn2",
                "transfer conn2: read(conn2, \"…\", 32768) → write(conn2, \"…\", n)",
                "transfer conn2: every read written back in full, partial writes continued",
                "transfer conn2: bytes in=2 out=2",
                "read(conn1, \"\", 32768) = 0",
                "read(conn2, \"\", 32768) = 0"), l);
    }
}
