package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StraceParserTest {

    @Test
    void parsesTheBundledReference() throws Exception {
        StraceParser.Result r = StraceParser.parse("go1.6", Fixtures.go16().lines().toList());
        List<Syscall> calls = Fixtures.syscalls(r);
        assertEquals(0, r.stats().skipped(), "every non-comment line of the reference is strace output");
        assertTrue(r.stats().comments() > 10, "the header and the Go source citations are comments");
        assertEquals("openat", calls.get(0).name());
        assertEquals("AT_FDCWD, \"/proc/sys/net/core/somaxconn\", O_RDONLY|O_CLOEXEC", calls.get(0).args());
        assertEquals("3", calls.get(0).ret());
        // the seed's runtime noise is parsed too (and dropped later by the network story)
        assertTrue(calls.stream().anyMatch(c -> c.name().equals("clock_gettime")));
        assertEquals(2, calls.stream().filter(c -> c.name().equals("futex")).count());
        Syscall last = calls.get(calls.size() - 1);
        assertEquals("epoll_wait", last.name());
        assertTrue(last.unfinished(), "the final epoll_wait is still blocked when SIGTERM kills the program");
        assertEquals("4,", last.headArgs());
        TraceEvent end = r.events().stream().filter(e -> e instanceof TraceEvent.Exit).findFirst().orElseThrow();
        assertEquals("SIGTERM", ((TraceEvent.Exit) end).killedBy());
    }

    @Test
    void parsesStrace4SeedLines() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "read(3, \"128\\n\", 4096)                  = 4",
                "accept4(3, 0xc820033a40, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
                "epoll_wait(4, {{EPOLLIN, {u32=912307248, u64=140631026480176}}}, 128, -1) = 1",
                "clock_gettime(CLOCK_MONOTONIC, {13908783, 601246604}) = 0"));
        assertEquals(4, calls.size());
        Syscall read = calls.get(0);
        assertEquals("read", read.name());
        assertEquals("3, \"128\\n\", 4096", read.args());
        assertEquals("4", read.ret());
        assertNull(read.errno());
        Syscall accept = calls.get(1);
        assertEquals("-1", accept.ret());
        assertEquals("EAGAIN", accept.errno());
        assertEquals("Resource temporarily unavailable", accept.errnoText());
        assertEquals("4, {{EPOLLIN, {u32=912307248, u64=140631026480176}}}, 128, -1", calls.get(2).args());
        assertEquals(0, calls.get(0).pid());
    }

    @Test
    void parsesPidPrefixesTimestampsAndDurations() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "7153  socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "[pid  7154] close(5) = 0",
                "7153  01:48:36.820473 listen(5, 4096) = 0 <0.000033>",
                "01:48:36 bind(5, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0",
                "1715400000.123456 getsockname(5, 0x7ffd, [16]) = 0",
                "     0.000123 setsockopt(5, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
                "7155       0.000123 read(5, \"\", 1) = 0 <0.000012>",
                "[pid 7156] 1715400000.123456 write(5, \"x\", 1) = 1",
                "[00007f3c8c0011a0] shutdown(5, SHUT_RDWR) = 0"));
        assertEquals(List.of("socket", "close", "listen", "bind", "getsockname", "setsockopt", "read", "write", "shutdown"),
                calls.stream().map(Syscall::name).toList());
        assertEquals(List.of(7153, 7154, 7153, 0, 0, 0, 7155, 7156, 0), calls.stream().map(Syscall::pid).toList());
        assertEquals("0", calls.get(2).ret());
        assertNull(calls.get(2).extra(), "-T duration is not part of the result");
        assertEquals("5, \"\", 1", calls.get(6).args());
    }

    @Test
    void joinsUnfinishedWithResumedPerPid() {
        StraceParser.Result r = Fixtures.parse(
                "7153  epoll_wait(6,  <unfinished ...>",
                "7154  accept4(5,  <unfinished ...>",
                "7155  futex(0x7f3c8c0011a0, FUTEX_WAKE_PRIVATE, 1) = 0",
                "7154  <... accept4 resumed>{sa_family=AF_INET, sin_port=htons(4), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16], SOCK_CLOEXEC) = 7",
                "[pid  7153] <... epoll_wait resumed> {{EPOLLIN, {u32=1, u64=1}}}, 128, -1) = 1");
        List<Syscall> calls = Fixtures.syscalls(r);
        assertEquals(List.of("futex", "accept4", "epoll_wait"), calls.stream().map(Syscall::name).toList(),
                "calls come out in completion order");
        Syscall accept = calls.get(1);
        assertEquals("5, {sa_family=AF_INET, sin_port=htons(4), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16], SOCK_CLOEXEC",
                accept.args());
        assertEquals("7", accept.ret());
        assertEquals(2, accept.startLine());
        assertEquals(4, accept.endLine());
        assertEquals("2-4", accept.lineRef());
        Syscall wait = calls.get(2);
        assertEquals("6, {{EPOLLIN, {u32=1, u64=1}}}, 128, -1", wait.args(), "4.x 'resumed> ' space is absorbed");
        assertEquals(1, wait.startLine());
        assertEquals(2, r.counts().get(Rule.RESUMED_JOIN));
    }

    @Test
    void resumesACallStartedWithoutPrefixBeforeTheSecondThreadExisted() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "accept4(3,  <unfinished ...>",
                "[pid  101] futex(0x1, FUTEX_WAIT, 0, NULL) = 0",
                "[pid  100] <... accept4 resumed>0xc000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)"));
        Syscall accept = calls.get(1);
        assertEquals("accept4", accept.name());
        assertEquals("3, 0xc000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK", accept.args());
        assertEquals("EAGAIN", accept.errno());
    }

    @Test
    void unfinishedAtEndOfFileIsHandedOutUnfinished() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "100 epoll_wait(4,  <unfinished ...>",
                "101 close(9) = 0",
                "101 +++ killed by SIGTERM +++"));
        assertEquals(List.of("close", "epoll_wait"), calls.stream().map(Syscall::name).toList());
        assertTrue(calls.get(1).unfinished());
        assertEquals(0, calls.get(1).endLine());
    }

    @Test
    void recognizesStatusLinesAndOddResults() {
        StraceParser.Result r = Fixtures.parse(
                "strace: Process 7153 attached",
                "7153  --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1234, si_uid=0} ---",
                "7153  --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=1, si_uid=0} ---",
                "7153  --- stopped by SIGSTOP ---",
                "7154  +++ exited with 0 +++",
                "7155  +++ killed by SIGKILL (core dumped) +++",
                "7153  read(5, 0x7f00000000, 32768) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
                "7153  epoll_wait(6, 0x7fff21660458, 128, -1) = -1 EINTR (Interrupted system call)",
                "7153  ???(0x1, 0x2) = -1 ENOSYS (Function not implemented)",
                "7153  exit_group(0)                     = ?",
                "7153  fcntl(4, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)",
                "7153  poll([{fd=3, events=POLLIN}], 1, 10000) = 1 ([{fd=3, revents=POLLIN}]) <1.049206>");
        assertEquals(0, r.stats().skipped());
        List<TraceEvent> ev = r.events();
        assertEquals("SIGTERM", ((TraceEvent.Signal) ev.get(0)).signal());
        assertEquals("SIGURG", ((TraceEvent.Signal) ev.get(1)).signal());
        assertNull(((TraceEvent.Exit) ev.get(2)).killedBy());
        assertEquals("SIGKILL", ((TraceEvent.Exit) ev.get(3)).killedBy());
        List<Syscall> calls = Fixtures.syscalls(r);
        assertEquals("?", calls.get(0).ret());
        assertEquals("ERESTARTSYS", calls.get(0).errno());
        assertEquals("EINTR", calls.get(1).errno());
        assertEquals("???", calls.get(2).name());
        assertEquals("?", calls.get(3).ret());
        assertEquals("0x8002", calls.get(4).ret());
        assertEquals("(flags O_RDWR|O_LARGEFILE)", calls.get(4).extra());
        assertEquals("([{fd=3, revents=POLLIN}])", calls.get(5).extra());
        assertEquals(1, r.counts().get(Rule.DURATION));
    }

    /** strace -e inject=…: the forged result parses like a real one, and stays marked as forged. */
    @Test
    void anInjectedResultKeepsItsErrnoAndIsMarkedInjected() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "9653  accept4(5, 0x7fc5cc2dad70, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 ECONNABORTED (Software caused connection abort) (INJECTED)",
                "9653  epoll_pwait(7,  <unfinished ...>",
                "9653  <... epoll_pwait resumed>0x7f5abc1b1680, 128, -1, NULL, 8) = -1 EINTR (Interrupted system call) (INJECTED) <0.000012>",
                "9653  ioctl(-1, FS_IOC_FIEMAP, NULL) = 42 (INJECTED)",
                "9653  fcntl(4, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE) (INJECTED)",
                "9653  accept4(5, 0x7fc5cc2dad70, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)"));
        assertEquals(5, calls.size(), "the split epoll_pwait is one call");
        Syscall aborted = calls.get(0);
        assertEquals("-1", aborted.ret());
        assertEquals("ECONNABORTED", aborted.errno());
        assertEquals("Software caused connection abort", aborted.errnoText());
        assertEquals("(INJECTED)", aborted.extra());
        Syscall interrupted = calls.get(1);
        assertEquals("EINTR", interrupted.errno(), "a split call and a -T duration do not hide the marker");
        assertEquals("Interrupted system call", interrupted.errnoText());
        assertEquals("(INJECTED)", interrupted.extra());
        assertEquals("42", calls.get(2).ret());
        assertNull(calls.get(2).errno());
        assertEquals("(INJECTED)", calls.get(2).extra());
        assertEquals("(flags O_RDWR|O_LARGEFILE) (INJECTED)", calls.get(3).extra());
        assertNull(calls.get(4).extra(), "a real failure is not marked");
    }

    /**
     * The marker survives normalization: the compared line says the result was forged (both sides
     * of a fault-injection diff carry the same injection, so it never differs by itself).
     */
    @Test
    void theNormalizedLineOfAnInjectedCallSaysSo() {
        List<String> lines = Fixtures.normLines(Fixtures.concat(Fixtures.LISTENER, new String[] {
                "accept4(5, 0x7fc5cc2dad70, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (Too many open files) (INJECTED)",
                "accept4(5, 0x7fc5cc2dad70, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (Too many open files)"}));
        assertEquals(List.of("accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (INJECTED)",
                "accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE"), lines.subList(2, 4));
    }

    @Test
    void stringsWithParensCommasAndQuotesDoNotConfuseTheArgumentScanner() {
        List<Syscall> calls = Fixtures.syscalls(Fixtures.parse(
                "write(7, \"a), b = \\\"(\\\" {\", 12) = 12",
                "read(7, \"abc\"..., 32768) = 32768"));
        assertEquals("7, \"a), b = \\\"(\\\" {\", 12", calls.get(0).args());
        assertEquals(List.of("7", "\"a), b = \\\"(\\\" {\"", "12"), ArgList.split(calls.get(0).args()));
        assertEquals("32768", calls.get(1).ret());
    }

    @Test
    void recoversAStraceLineGluedToTheProgramsOwnOutput() {
        StraceParser.Result r = Fixtures.parse(
                "--> binding to :10020",
                ".[pid  7153] accept4(3, 0xc820033a40, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)");
        assertEquals(1, r.stats().skipped());
        Syscall s = Fixtures.syscalls(r).get(0);
        assertEquals("accept4", s.name());
        assertEquals(7153, s.pid());
    }

    @Test
    void skipsAndCountsLinesThatAreNotStrace() {
        StraceParser.Result r = Fixtures.parse(
                "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3",
                "hello world",
                "read(3, \"unterminated",
                "close(3) = 0");
        assertEquals(2, r.stats().skipped());
        assertEquals(2, r.stats().firstSkippedLine());
        assertEquals(2, Fixtures.syscalls(r).size());
    }

    @Test
    void rejectsEmptyBinaryCommentOnlyAndNonStraceInput() {
        TraceParseException empty = assertThrows(TraceParseException.class,
                () -> StraceParser.parse("e.strace", List.of("", "   ")));
        assertTrue(empty.getMessage().startsWith("empty file"), empty.getMessage());
        TraceParseException binary = assertThrows(TraceParseException.class,
                () -> StraceParser.parse("b.strace", List.of("socket(AF_INET, 1, 0) = 3", "\u0000\u0001ELF")));
        assertEquals(2, binary.line());
        assertTrue(binary.getMessage().contains("binary"), binary.getMessage());
        TraceParseException notStrace = assertThrows(TraceParseException.class,
                () -> StraceParser.parse("n.txt", List.of("# a comment", "public class Foo {", "}")));
        assertEquals(2, notStrace.line());
        assertTrue(notStrace.oneLine().startsWith("n.txt:2: not strace output"), notStrace.oneLine());
        TraceParseException comments = assertThrows(TraceParseException.class,
                () -> StraceParser.parse("c.strace", List.of("# only", "# comments")));
        assertTrue(comments.getMessage().contains("only comments"), comments.getMessage());
    }

    /** The robustness contract: any input ends in a result or a TraceParseException, nothing else. */
    @Test
    void neverThrowsAnythingButItsOwnErrorOnArbitraryInput() {
        Random random = new Random(20160511);
        String alphabet = "abcdefgh_()[]{}<>,.=:\"\\ 0123456789-+?|&*/x\t";
        String[] seeds = Fixtures.go16().lines().toArray(String[]::new);
        for (int round = 0; round < 3000; round++) {
            List<String> lines = new ArrayList<>();
            int n = 1 + random.nextInt(6);
            for (int i = 0; i < n; i++) {
                String base = seeds[random.nextInt(seeds.length)];
                StringBuilder sb = new StringBuilder();
                switch (random.nextInt(4)) {
                    case 0 -> { // random chars
                        for (int k = random.nextInt(60); k > 0; k--) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
                    }
                    case 1 -> sb.append(base, 0, random.nextInt(base.length() + 1)); // truncated real line
                    case 2 -> { // real line with random mutations
                        sb.append(base);
                        for (int k = random.nextInt(5); k > 0 && sb.length() > 0; k--) {
                            sb.setCharAt(random.nextInt(sb.length()), alphabet.charAt(random.nextInt(alphabet.length())));
                        }
                    }
                    default -> sb.append(random.nextBoolean() ? "<... epoll_wait resumed>" : "epoll_wait(4, <unfinished ...>")
                            .append(base, 0, random.nextInt(base.length() + 1));
                }
                lines.add(sb.toString());
            }
            try {
                StraceParser.parse("fuzz", lines);
                NormalizedTrace.of("fuzz", String.join("\n", lines));
            } catch (TraceParseException expected) {
                assertFalse(expected.getMessage().isBlank());
            } catch (RuntimeException e) {
                throw new AssertionError("input " + Arrays.toString(lines.toArray()) + " threw " + e, e);
            }
        }
    }
}
