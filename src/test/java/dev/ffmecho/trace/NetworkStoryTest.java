package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkStoryTest {

    @Test
    void keepsNetworkFdsFromBirthToCloseAndDropsTheRuntime() {
        List<String> lines = Fixtures.normLines(
                "100 openat(AT_FDCWD, \"/usr/lib/jvm/lib/modules\", O_RDONLY|O_CLOEXEC) = 5",
                "100 read(5, \"\\312\\376\", 4096) = 4096",            // JVM file on 5: dropped
                "100 close(5) = 0",
                "101 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
                "101 futex(0x7f0000001000, FUTEX_WAKE_PRIVATE, 1) = 0",
                "102 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5",  // same number, now ours
                "102 setsockopt(5, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                "102 close(5) = 0",
                "100 openat(AT_FDCWD, \"/usr/lib/jvm/lib/libnio.so\", O_RDONLY|O_CLOEXEC) = 5",
                "100 read(5, \"\\177ELF\", 832) = 832",               // reused after our close: dropped
                "100 fstat(5, {st_mode=S_IFREG|0644, st_size=54200, ...}) = 0",
                "100 close(5) = 0");
        assertEquals(List.of(
                "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = sock1",
                "setsockopt(sock1, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                "close(sock1) = 0"), lines);
    }

    @Test
    void namesRolesByBirthOrderPerKind() {
        List<String> lines = Fixtures.normLines(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3",
                "close(3) = 0",
                "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3",
                "epoll_create1(EPOLL_CLOEXEC) = 4",
                "pipe2([5, 6], O_NONBLOCK|O_CLOEXEC) = 0",
                "eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 7",
                "epoll_ctl(4, EPOLL_CTL_ADD, 5, {events=EPOLLIN, data={u32=5, u64=5}}) = 0",
                "accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 8",
                "splice(8, NULL, 6, NULL, 4194304, SPLICE_F_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 9",
                "dup(8) = 10",
                "write(10, \"x\", 1) = 1");
        assertEquals(List.of(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = somaxconn",
                "close(somaxconn) = 0",
                "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "pipe2([pipe1r, pipe1w], O_NONBLOCK|O_CLOEXEC) = 0",
                "eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = event1",
                "epoll_ctl(epoll1, EPOLL_CTL_ADD, pipe1r, {EPOLLIN, …}) = 0",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "splice(conn1, NULL, pipe1w, NULL, 4194304, SPLICE_F_NONBLOCK) = -1 EAGAIN",
                "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = sock2",
                "dup(conn1) = dup1",
                "write(dup1, \"…\", 1) = 1"), lines);
    }

    @Test
    void mapsBothFdsOfEpollCtlAndMarksForeignOnes() {
        List<String> lines = Fixtures.normLines(Fixtures.concat(Fixtures.LISTENER, new String[] {
                "epoll_ctl(6, EPOLL_CTL_ADD, 5, {events=EPOLLIN, data={u32=5, u64=5}}) = 0",
                "epoll_ctl(6, EPOLL_CTL_ADD, 42, {events=EPOLLIN, data={u32=42, u64=42}}) = 0",  // not ours
                "epoll_ctl(9, EPOLL_CTL_ADD, 11, {events=EPOLLIN, data={u32=1, u64=1}}) = 0",   // neither: dropped
        }));
        assertEquals("epoll_ctl(epoll1, EPOLL_CTL_ADD, sock1, {EPOLLIN, …}) = 0", lines.get(2));
        assertEquals("epoll_ctl(epoll1, EPOLL_CTL_ADD, fd?, {EPOLLIN, …}) = 0", lines.get(3));
        assertEquals(4, lines.size());
    }

    @Test
    void nonInetSocketsAndTheirAcceptsAreRuntimeNoise() {
        List<String> lines = Fixtures.normLines(
                // glibc's nscd probe when the JVM looks up the user name at start
                "15161 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 4",
                "15161 connect(4, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such file or directory)",
                "15161 close(4)                          = 0",
                // the JVM attach listener
                "15170 socket(AF_UNIX, SOCK_STREAM, 0) = 9",
                "15170 accept(9, NULL, NULL) = 10",
                "15170 read(10, \"1\\0\", 1) = 1",
                "15161 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 4");
        assertEquals(List.of("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = sock1"), lines);
    }

    @Test
    void fdsDecoratedByStraceYAreStillFollowed() {
        List<String> plain = Fixtures.normLines(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3",
                "close(3) = 0",
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "pipe2([4, 5], O_NONBLOCK|O_CLOEXEC) = 0",
                "accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 6",
                "close(6) = 0");
        List<String> decorated = Fixtures.normLines(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3</proc/sys/net/core/somaxconn>",
                "close(3</proc/sys/net/core/somaxconn>) = 0",
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3<TCPv6:[81237]>",
                "pipe2([4<pipe:[81240]>, 5<pipe:[81240]>], O_NONBLOCK|O_CLOEXEC) = 0",
                "accept4(3<TCPv6:[81237]>, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 6<TCPv6:[[::1]:10020->[::1]:41000]>",
                "close(6<TCPv6:[[::1]:10020->[::1]:41000]>) = 0");
        assertEquals(plain, decorated);
    }

    @Test
    void keepsFailedNetworkBirths() {
        List<String> lines = Fixtures.normLines(
                "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = -1 EAFNOSUPPORT (Address family not supported by protocol)",
                "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3");
        assertEquals("socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = -1 EAFNOSUPPORT", lines.get(0));
        assertEquals("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = sock1", lines.get(1));
    }

    @Test
    void followsFdsInCompletionOrderAcrossThreads() {
        // Thread 200 sits in accept4 while thread 201 closes its own fd 7; accept4 then returns 7.
        List<String> lines = Fixtures.normLines(Fixtures.concat(Fixtures.LISTENER, new String[] {
                "201 openat(AT_FDCWD, \"/proc/self/stat\", O_RDONLY) = 7",
                "200 accept4(5,  <unfinished ...>",
                "201 close(7) = 0",
                "200 <... accept4 resumed>0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 7",
                "200 setsockopt(7, SOL_TCP, TCP_NODELAY, [1], 4) = 0",
        }));
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "setsockopt(conn1, SOL_TCP, TCP_NODELAY, [1], 4) = 0"), lines);
    }

    @Test
    void stopsAtTheFirstSigtermAndShowsTheRestAsTrailer() {
        NormalizedTrace t = Fixtures.norm(String.join("\n", Fixtures.concat(Fixtures.LISTENER, new String[] {
                "300 epoll_wait(6,  <unfinished ...>",
                "301 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=1, si_uid=0} ---",  // not a cut
                "302 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1234, si_uid=0} ---",
                "303 shutdown(5, SHUT_RDWR) = 0",
                "300 <... epoll_wait resumed>[{events=EPOLLIN|EPOLLHUP, data={u32=5, u64=5}}], 128, -1) = 1",
                "300 close(5) = 0",
                "300 +++ exited with 0 +++",
        })) + "\n");
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "epoll_wait(epoll1, <unfinished>"), t.lines());
        assertEquals("SIGTERM", t.cutWhat());
        assertEquals(5, t.cutLine());
        assertEquals(List.of("shutdown(sock1, SHUT_RDWR) = 0", "close(sock1) = 0"),
                t.trailer().stream().map(Entry::text).toList());
        assertEquals(2, t.counts().get(Rule.SIGNAL_CUT));
        assertEquals(1, t.counts().get(Rule.UNFINISHED));
    }

    @Test
    void aCallInterruptedByTheCutSignalCountsAsUnfinished() {
        // The thread that receives the signal returns EINTR from its epoll_pwait right before it.
        List<String> lines = Fixtures.normLines(Fixtures.concat(Fixtures.LISTENER, new String[] {
                "400 epoll_pwait(6,  <unfinished ...>",
                "401 nanosleep({tv_sec=0, tv_nsec=20000}, NULL) = 0",
                "400 <... epoll_pwait resumed>0x7fff21660458, 128, -1, NULL, 0) = -1 EINTR (Interrupted system call)",
                "400 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=6876, si_uid=0} ---",
                "400 +++ killed by SIGTERM +++",
        }));
        assertEquals("epoll_pwait(epoll1, <unfinished>", lines.get(2));
    }

    /**
     * Go: the idle M's epoll_pwait returns EINTR, but strace prints the delivery on the M whose
     * handler runs (a real Go 1.19 capture had it so); the poll was still blocked at the cut. Only a
     * poll is read that way on another thread: its thread's last call before the cut.
     */
    @Test
    void aPollInterruptedOnAnotherThreadThanTheSignalsCountsAsUnfinished() {
        List<String> lines = Fixtures.normLines(Fixtures.concat(Fixtures.LISTENER, new String[] {
                "400 epoll_pwait(6,  <unfinished ...>",
                "401 nanosleep({tv_sec=0, tv_nsec=20000}, NULL) = 0",
                "400 <... epoll_pwait resumed>0x7fff21660458, 128, -1, NULL, 0) = -1 EINTR (Interrupted system call)",
                "401 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=6876, si_uid=0} ---",
                "400 epoll_pwait(6,  <unfinished ...>",
                "401 +++ killed by SIGTERM +++",
        }));
        assertEquals("epoll_pwait(epoll1, <unfinished>", lines.get(2));
        assertEquals(3, lines.size(), "the retry after the signal is not compared: " + lines);
    }

    @Test
    void withoutASignalTheWholeTraceIsComparedAndAPendingCallIsUnfinished() {
        NormalizedTrace t = Fixtures.norm(String.join("\n", Fixtures.concat(Fixtures.LISTENER, new String[] {
                "accept4(5, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(6,  <unfinished ...>",
        })));
        assertNull(t.cutWhat());
        assertEquals(0, t.cutLine());
        assertEquals("epoll_wait(epoll1, <unfinished>", t.lines().get(3));
        assertTrue(t.trailer().isEmpty());
    }

    @Test
    void dropsPollOnlyThreadsLikeGoSysmon() {
        NormalizedTrace t = Fixtures.norm(String.join("\n", Fixtures.concat(new String[] {
                "500 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "500 epoll_create1(EPOLL_CLOEXEC) = 6",
                "501 epoll_pwait(6, [], 128, 0, NULL, 0) = 0",
                "500 accept4(5, 0xc00004ac18, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "501 epoll_pwait(6, [{events=EPOLLIN, data={u32=1, u64=1}}], 128, 0, NULL, 0) = 1",
                "500 epoll_pwait(6, [], 128, 0, NULL, 2) = 0",
        })));
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN",
                "epoll_pwait(epoll1, [], 128, 0, NULL, …) = 0"), t.lines());
        assertEquals(2, t.counts().get(Rule.POLL_ONLY_THREAD));
    }

    @Test
    void dropsACallInterruptedByAnUnrelatedSignalAndRetried() {
        NormalizedTrace t = Fixtures.norm(String.join("\n", Fixtures.concat(Fixtures.LISTENER, new String[] {
                "epoll_wait(6, 0x7fff0000, 128, -1) = -1 EINTR (Interrupted system call)",
                "--- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=1, si_uid=0} ---",
                "epoll_wait(6, [{events=EPOLLIN, data={u32=5, u64=5}}], 128, -1) = 1",
        })));
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "epoll_wait(epoll1, [{EPOLLIN, …}], 128, -1) = 1"), t.lines());
        assertEquals(1, t.counts().get(Rule.INTERRUPTED_RETRY));
    }

    @Test
    void aTraceWithoutNetworkCallsIsRejected() {
        TraceParseException e = assertThrows(TraceParseException.class, () -> NormalizedTrace.of("jvm.strace",
                "100 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3\n100 close(3) = 0\n"));
        assertTrue(e.getMessage().startsWith("no network story"), e.getMessage());
        assertTrue(e.getMessage().contains("strace -f"), e.getMessage());
    }

    /** Two honest runs of a multi-threaded program: the idle poller entered netpoll before or after the other thread's close. */
    @Test
    void aPollBlockedAtTheCutComparesTheSameWhicheverThreadOrderStartedIt() {
        String[] head = {
                "10 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "10 epoll_create1(EPOLL_CLOEXEC) = 4",
                "10 accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5"};
        List<String> early = new java.util.ArrayList<>(List.of(head));
        early.addAll(List.of(
                "11 epoll_wait(4,  <unfinished ...>",
                "10 epoll_ctl(4, EPOLL_CTL_DEL, 5, 0x7f0000002000) = 0",
                "10 close(5) = 0",
                "12 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---"));
        List<String> late = new java.util.ArrayList<>(List.of(head));
        late.addAll(List.of(
                "10 epoll_ctl(4, EPOLL_CTL_DEL, 5, 0x7f0000002000) = 0",
                "10 close(5) = 0",
                "11 epoll_wait(4,  <unfinished ...>",
                "12 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---"));
        List<String> a = Fixtures.normLines(early.toArray(String[]::new));
        assertEquals(Fixtures.normLines(late.toArray(String[]::new)), a);
        assertEquals("epoll_wait(epoll1, <unfinished>", a.get(a.size() - 1));
        // A poll that completed keeps its place: only a blocked one is an idle thread's.
        List<String> completed = Fixtures.normLines(
                head[0], head[1], head[2],
                "11 epoll_wait(4, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1) = 1",
                "10 close(5) = 0");
        assertEquals("epoll_wait(epoll1, [{EPOLLIN, …}], 128, -1) = 1", completed.get(completed.size() - 2));
    }

    /**
     * close(2) frees the number when it starts: another thread's pipe2 can get it before the close
     * returns (seen in a capture of Go 1.19's concurrent server, a goroutine's conn close racing
     * another's splice pipe). The close is still the conn's; the pipe lives on.
     */
    @Test
    void aCloseStillInFlightWhenItsNumberIsReusedIsTheOldHoldersClose() {
        List<String> lines = Fixtures.normLines(
                "10 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "10 accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = 8",
                "11 close(8 <unfinished ...>",
                "12 pipe2([8, 17], O_NONBLOCK|O_CLOEXEC) = 0",
                "11 <... close resumed>) = 0",
                "12 fcntl(8, F_GETPIPE_SZ) = 65536",
                "12 close(8) = 0");
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "pipe2([pipe1r, pipe1w], O_NONBLOCK|O_CLOEXEC) = 0",
                "close(conn1) = 0",
                "fcntl(pipe1r, F_GETPIPE_SZ) = 65536",
                "close(pipe1r) = 0"), lines);
    }
}
