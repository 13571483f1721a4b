package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One test per normalization rule: what it rewrites, what it leaves alone, and its count. */
class NormalizerTest {

    private static final String SOCK = "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3";

    private static NormalizedTrace trace(String... lines) {
        return Fixtures.norm(String.join("\n", lines) + "\n");
    }

    private static String last(NormalizedTrace t) {
        return t.lines().get(t.lines().size() - 1);
    }

    @Test
    void strace4AndStrace6PrintTheSameCallsAlike() {
        NormalizedTrace v4 = trace(
                "socket(PF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "bind(3, {sa_family=AF_INET6, sin6_port=htons(10020), inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_flowinfo=0, sin6_scope_id=0}, 28) = 0",
                "listen(3, 128)                          = 0",
                "epoll_create1(EPOLL_CLOEXEC)            = 4",
                "epoll_ctl(4, EPOLL_CTL_ADD, 3, {EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, {u32=912307248, u64=140631026480176}}) = 0",
                "getsockname(3, {sa_family=AF_INET6, sin6_port=htons(10020), inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_flowinfo=0, sin6_scope_id=0}, [28]) = 0",
                "accept4(3, 0xc820033a40, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(4, {}, 128, 0)               = 0",
                "epoll_wait(4, {{EPOLLIN, {u32=912307248, u64=140631026480176}}}, 128, -1) = 1",
                "accept4(3, {sa_family=AF_INET6, sin6_port=htons(52510), inet_pton(AF_INET6, \"::ffff:192.168.6.200\", &sin6_addr), sin6_flowinfo=0, sin6_scope_id=0}, [28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5",
                "getsockname(5, {sa_family=AF_INET6, sin6_port=htons(10020), inet_pton(AF_INET6, \"::ffff:10.0.54.10\", &sin6_addr), sin6_flowinfo=0, sin6_scope_id=0}, [28]) = 0",
                "epoll_ctl(4, EPOLL_CTL_DEL, 5, {0, {u32=0, u64=0}}) = 0");
        NormalizedTrace v6 = trace(
                "9 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "9 bind(5, {sa_family=AF_INET6, sin6_port=htons(40123), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_scope_id=0}, 28) = 0",
                "9 listen(5, 128) = 0",
                "9 epoll_create1(EPOLL_CLOEXEC) = 6",
                "9 epoll_ctl(6, EPOLL_CTL_ADD, 5, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=5, u64=5}}) = 0",
                "9 getsockname(5, {sa_family=AF_INET6, sin6_port=htons(40123), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_scope_id=0}, [112 => 28]) = 0",
                "9 accept4(5, 0x7f3c8c0011a0, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "9 epoll_wait(6, [], 128, 0) = 0",
                "9 epoll_wait(6, [{events=EPOLLIN, data={u32=5, u64=5}}], 128, -1) = 1",
                "9 accept4(5, {sa_family=AF_INET6, sin6_port=htons(41000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 7",
                "9 getsockname(7, {sa_family=AF_INET6, sin6_port=htons(40123), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28]) = 0",
                "9 epoll_ctl(6, EPOLL_CTL_DEL, 7, {events=0, data={u32=0, u64=0}}) = 0");
        assertEquals(v4.lines(), v6.lines());
        assertEquals(List.of(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "bind(sock1, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_scope_id=0}, 28) = 0",
                "listen(sock1, 128) = 0",
                "epoll_create1(EPOLL_CLOEXEC) = epoll1",
                "epoll_ctl(epoll1, EPOLL_CTL_ADD, sock1, {EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, …}) = 0",
                "getsockname(sock1, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, \"::\", &sin6_addr), sin6_scope_id=0}, [28]) = 0",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN",
                "epoll_wait(epoll1, [], 128, 0) = 0",
                "epoll_wait(epoll1, [{EPOLLIN, …}], 128, -1) = 1",
                "accept4(sock1, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, <addr>, &sin6_addr), sin6_scope_id=0}, [28], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "getsockname(conn1, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, <addr>, &sin6_addr), sin6_scope_id=0}, [28]) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, conn1, …) = 0"), v6.lines());
        // which rules fired on which side
        assertEquals(1, v4.counts().get(Rule.PF_TO_AF));
        assertEquals(0, v6.counts().get(Rule.PF_TO_AF));
        assertEquals(4, v4.counts().get(Rule.SOCKADDR_FIELD_ORDER));
        assertEquals(0, v6.counts().get(Rule.SOCKADDR_FIELD_ORDER));
        assertEquals(0, v4.counts().get(Rule.FLOWINFO_HTONL));
        assertEquals(4, v6.counts().get(Rule.FLOWINFO_HTONL));
        assertEquals(0, v4.counts().get(Rule.SOCKLEN_INOUT));
        assertEquals(3, v6.counts().get(Rule.SOCKLEN_INOUT));
        assertEquals(2, v4.counts().get(Rule.EPOLL_DATA));
        assertEquals(2, v6.counts().get(Rule.EPOLL_DATA));
        assertEquals(0, v4.counts().get(Rule.EPOLL_EVENT_FORM));
        assertEquals(2, v6.counts().get(Rule.EPOLL_EVENT_FORM));
        assertEquals(1, v4.counts().get(Rule.EPOLL_CTL_DEL_EVENT));
        assertEquals(1, v6.counts().get(Rule.EPOLL_CTL_DEL_EVENT));
        assertEquals(2, v4.counts().get(Rule.EPOLL_WAIT_LIST));
        assertEquals(0, v6.counts().get(Rule.EPOLL_WAIT_LIST));
        assertEquals(4, v4.counts().get(Rule.PORT));
        assertEquals(2, v6.counts().get(Rule.PEER_ADDR));
        assertEquals(1, v4.counts().get(Rule.POINTER));
        assertEquals(1, v4.counts().get(Rule.ERRNO_TEXT));
        assertEquals(3, v4.counts().get(Rule.COLUMN_PADDING), "listen, epoll_create1 and epoll_wait are padded");
        assertEquals(0, v6.counts().get(Rule.COLUMN_PADDING));
        assertEquals(12, v6.counts().get(Rule.PID_PREFIX));
    }

    @Test
    void keepsTheListenersOwnAddressAndZeroPortsButMasksPeers() {
        NormalizedTrace t = trace(
                "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
                "getsockname(3, {sa_family=AF_INET, sin_port=htons(10020), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16]) = 0",
                "accept4(3, {sa_family=AF_INET, sin_port=htons(52510), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK) = 4",
                "getpeername(4, {sa_family=AF_INET, sin_port=htons(52510), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16]) = 0");
        assertEquals(List.of(
                "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "bind(sock1, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
                "getsockname(sock1, {sa_family=AF_INET, sin_port=htons(<port>), sin_addr=inet_addr(\"127.0.0.1\")}, [16]) = 0",
                "accept4(sock1, {sa_family=AF_INET, sin_port=htons(<port>), sin_addr=inet_addr(<addr>)}, [16], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn1",
                "getpeername(conn1, {sa_family=AF_INET, sin_port=htons(<port>), sin_addr=inet_addr(<addr>)}, [16]) = 0"),
                t.lines());
        assertEquals(3, t.counts().get(Rule.PORT));
        assertEquals(2, t.counts().get(Rule.PEER_ADDR));
    }

    @Test
    void somaxconnValueSecondReadAndBacklogBecomeTokens() {
        NormalizedTrace t = trace(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3",
                "read(3, \"4096\\n\", 4096) = 5",
                "read(3, \"\", 4091) = 0",
                "close(3) = 0",
                SOCK.replace("= 3", "= 4"),
                "listen(4, 4096) = 0");
        assertEquals(List.of(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = somaxconn",
                "read(somaxconn, \"<somaxconn>\\n\", 4096) = <somaxconn-len>",
                "read(somaxconn, \"\", <4096-somaxconn-len>) = 0",
                "close(somaxconn) = 0",
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock1",
                "listen(sock1, <somaxconn>) = 0"), t.lines());
        assertEquals(4, t.counts().get(Rule.SOMAXCONN));
        assertEquals(0, t.counts().get(Rule.PAYLOAD), "the somaxconn file is not a payload");
    }

    @Test
    void somaxconnTokensOnlyWhereConsistentWithTheValue() {
        NormalizedTrace t = trace(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3",
                "read(3, \"4096\\n\", 4096) = 5",
                "read(3, \"\", 4000) = 0",              // not 4096 - 5: a different program
                "close(3) = 0",
                SOCK.replace("= 3", "= 4"),
                "listen(4, 128) = 0");                  // hard-coded backlog, not the file's value
        assertEquals("read(somaxconn, \"\", 4000) = 0", t.lines().get(2));
        assertEquals("listen(sock1, 128) = 0", last(t));
        NormalizedTrace capped = trace(
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC) = 3",
                "read(3, \"100000\\n\", 4096) = 7",
                SOCK.replace("= 3", "= 4"),
                "listen(4, 65535) = 0");
        assertEquals("listen(sock1, <somaxconn>) = 0", last(capped));
        NormalizedTrace noFile = trace(SOCK, "listen(3, 4096) = 0");
        assertEquals("listen(sock1, 4096) = 0", last(noFile));
    }

    @Test
    void payloadsBecomeEllipsisWithCountsKept() {
        NormalizedTrace t = trace(SOCK,
                "accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC) = 4",
                "write(4, \"hello, (world)\", 14) = 14",
                "sendto(4, \"abc\"..., 65536, 0, NULL, 0) = 65536",
                "read(4, \"\", 32768) = 0");
        List<String> l = t.lines();
        assertEquals("transfer conn1: (no read) → write(conn1, \"…\", n) | sendto(conn1, \"…\", n, 0, NULL, 0)", l.get(2));
        assertEquals("transfer conn1: bytes in=0 out=65550", l.get(4));
        assertEquals("read(conn1, \"\", 32768) = 0", l.get(5), "EOF keeps its empty string");
        assertEquals(2, t.counts().get(Rule.PAYLOAD));
    }

    @Test
    void hugePayloadsFromStraceDashSAreHandled() {
        String big = "\\27\\3\\3\\\"x".repeat(50_000);  // strace -s 262144 of TLS-like bytes
        NormalizedTrace t = trace(SOCK,
                "accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC) = 4",
                "read(4, \"" + big + "\"..., 262144) = 262144",
                "write(4, \"" + big + "\", 262144) = 262144",
                "read(4, \"\", 262144) = 0");
        assertEquals("transfer conn1: bytes in=262144 out=262144", t.lines().get(4));
        assertEquals(2, t.counts().get(Rule.PAYLOAD));
    }

    @Test
    void pointersAreMaskedOutsideStringsOnly() {
        NormalizedTrace t = trace(SOCK,
                "getsockopt(3, SOL_SOCKET, SO_ERROR, 0x7ffd5e4c, [4]) = 0",
                "openat(AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY) = 4",
                "fcntl(4, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)");
        assertEquals("getsockopt(sock1, SOL_SOCKET, SO_ERROR, …, [4]) = 0", t.lines().get(1));
        assertEquals("fcntl(somaxconn, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)", last(t),
                "a return value is not a pointer");
        assertEquals(1, t.counts().get(Rule.POINTER));
    }

    @Test
    void epollCtlDelEventIsIgnoredButNullStays() {
        NormalizedTrace t = trace(SOCK, "epoll_create1(EPOLL_CLOEXEC) = 4",
                "epoll_ctl(4, EPOLL_CTL_DEL, 3, 0x7f071032d160) = 0",           // strace 6.x: address only
                "epoll_ctl(4, EPOLL_CTL_DEL, 3, {0, {u32=0, u64=0}}) = 0",     // strace 4.x: the zeroed struct
                "epoll_ctl(4, EPOLL_CTL_DEL, 3, NULL) = 0",
                "epoll_ctl(4, EPOLL_CTL_MOD, 3, {events=EPOLLIN, data={u32=3, u64=3}}) = 0");
        assertEquals(List.of(
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, sock1, …) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, sock1, …) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, sock1, NULL) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_MOD, sock1, {EPOLLIN, …}) = 0"), t.lines().subList(2, 6));
        assertEquals(2, t.counts().get(Rule.EPOLL_CTL_DEL_EVENT));
    }

    @Test
    void epollPwaitStaleSigsetsizeIsMasked() {
        NormalizedTrace t = trace(SOCK, "epoll_create1(EPOLL_CLOEXEC) = 4",
                "epoll_pwait(4, [], 128, 0, NULL, 2) = 0",
                "epoll_pwait(4, [], 128, 0, [INT], 8) = 0");
        assertEquals("epoll_pwait(epoll1, [], 128, 0, NULL, …) = 0", t.lines().get(2));
        assertEquals("epoll_pwait(epoll1, [], 128, 0, [INT], 8) = 0", t.lines().get(3), "a real sigmask keeps its size");
        assertEquals(1, t.counts().get(Rule.EPOLL_PWAIT_SIGSETSIZE));
    }

    @Test
    void parseLevelRulesAreCounted() {
        NormalizedTrace t = trace(
                "7153  01:48:36.820473 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3 <0.000033>",
                "7153  01:48:36.820480 close(3 <unfinished ...>",
                "7154  01:48:36.820481 futex(0x1, FUTEX_WAKE, 1) = 0",
                "7153  01:48:36.820490 <... close resumed>)    = 0 <0.000010>");
        assertEquals(List.of("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = sock1", "close(sock1) = 0"), t.lines());
        assertEquals(4, t.counts().get(Rule.PID_PREFIX));
        assertEquals(4, t.counts().get(Rule.TIMESTAMP));
        assertEquals(2, t.counts().get(Rule.DURATION));
        assertEquals(1, t.counts().get(Rule.COLUMN_PADDING));
        assertEquals(1, t.counts().get(Rule.RESUMED_JOIN));
        assertEquals(1, t.counts().get(Rule.RUNTIME_NOISE));
        assertEquals(2, t.counts().get(Rule.FD_ROLE));
    }

    @Test
    void everyCallRuleIsAppliedByTheNormalizerInDeclarationOrder() {
        // The rules are objects: the normalizer iterates Rule.values(), so a rule that forgets to
        // delegate to its implementation would never fire; each CALL rule must fire somewhere.
        NormalizedTrace ref = Fixtures.norm(Fixtures.go16());
        NormalizedTrace ours = Fixtures.norm(Fixtures.ffmEchoGo16());
        for (Rule r : Rule.values()) {
            if (r.stage() != Rule.Stage.CALL || r == Rule.EPOLL_PWAIT_SIGSETSIZE) continue;
            assertEquals(true, ref.counts().get(r) + ours.counts().get(r) > 0, r + " never fired");
        }
    }
}
