package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trace-diff --concurrent} on real captures of Go 1.19's concurrent echo server and of
 * ffm-echo's goroutine mode, 4 clients at once (see each fixture's header), and on mutations of
 * one connection's story. Connections of run 1 (the mutated one) by accept order: fd 4 = conn1,
 * fd 8 = conn2, fd 11 = conn3, fd 12 = conn4.
 */
class ConcurrentTraceDiffTest {

    @TempDir
    Path dir;

    private static final String RUN1 = "go1.19-concurrent-4-run1.strace";
    private static final String RUN2 = "go1.19-concurrent-4-run2.strace";
    private static final String FFM = "ffm-echo-goroutine-go1.19-4.strace";

    private Fixtures.Run diff(String actualText, String referenceResource, String... options) {
        return Fixtures.diffTexts(dir, actualText, Fixtures.resource(referenceResource), options);
    }

    private Fixtures.Run concurrent(String actualText) {
        return diff(actualText, RUN2, "--concurrent");
    }

    /** The section headers ({@code === ...}) of stories that differ. */
    private static List<String> differingSections(String out) {
        return out.lines().filter(l -> l.startsWith("=== ") && l.contains(": differs (")).toList();
    }

    // --- honest runs ---------------------------------------------------------------------------

    @Test
    void twoRunsOfTheSameGoBinaryInterleaveDifferentlyButTellTheSameStories() {
        String run1 = Fixtures.resource(RUN1);
        assertEquals(1, diff(run1, RUN2).code(), "in one global order the runs differ: the fixtures are two real interleavings");
        Fixtures.Run r = concurrent(run1);
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("6 stories compared and matched (listener, process, connections: 4 in reference,"
                + " 4 in actual, 4 paired equal)"), r.out());
    }

    @Test
    void ffmEchoGoroutineModeTellsGosStoriesAgainstEitherRun() {
        String ffm = Fixtures.resource(FFM);
        for (String go : List.of(RUN1, RUN2)) {
            Fixtures.Run r = diff(ffm, go, "--concurrent", "--explain");
            assertEquals(0, r.code(), go + ":\n" + r.out());
            for (String rule : List.of("concurrent-stories", "conn-numbering", "concurrent-polls")) {
                assertTrue(Pattern.compile("(?m)^  " + rule + " +\\d+ +\\d+  with --concurrent only").matcher(r.out()).find(),
                        rule + " is listed with its counts:\n" + r.out());
            }
            assertTrue(Pattern.compile("(?m)^  splice-pipe-pool +\\d+ +\\d+  splice pipes named pipeS").matcher(r.out()).find(),
                    "splice-pipe-pool is listed with its counts:\n" + r.out());
        }
    }

    @Test
    void normalizedConcurrentPrintsEachStoryUnderItsHeader() {
        Fixtures.Run r = Fixtures.run(Fixtures.write(dir, "go.strace", Fixtures.resource(RUN1)).toString(),
                "--normalized", "--concurrent");
        assertEquals(0, r.code(), r.err());
        List<String> headers = r.out().lines().filter(l -> l.startsWith("# ")).toList();
        assertEquals(List.of("# listener story:", "# connection story conn1:", "# connection story conn2:",
                "# connection story conn3:", "# connection story conn4:", "# process story:"), headers);
        String conn3 = r.out().substring(r.out().indexOf("# connection story conn3:"), r.out().indexOf("# connection story conn4:"));
        assertEquals(List.of(
                "# connection story conn3:",
                "accept4(sock4, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, <addr>, &sin6_addr), sin6_scope_id=0}, [28], SOCK_CLOEXEC|SOCK_NONBLOCK) = conn",
                "epoll_ctl(epoll1, EPOLL_CTL_ADD, conn, {EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, …}) = 0",
                "getsockname(conn, {sa_family=AF_INET6, sin6_port=htons(<port>), sin6_flowinfo=0, inet_pton(AF_INET6, <addr>, &sin6_addr), sin6_scope_id=0}, [28]) = 0",
                "setsockopt(conn, SOL_TCP, TCP_NODELAY, [1], 4) = 0",
                "setsockopt(conn, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0",
                "setsockopt(conn, SOL_TCP, TCP_KEEPINTVL, [15], 4) = 0",
                "setsockopt(conn, SOL_TCP, TCP_KEEPIDLE, [15], 4) = 0",
                "transfer conn: splice(conn, NULL, pipeSw, NULL, 4194304, SPLICE_F_NONBLOCK) → splice(pipeSr, NULL, conn, NULL, n, SPLICE_F_NONBLOCK)",
                "transfer conn: every read written back in full, partial writes continued",
                "transfer conn: bytes in=200192 out=200192",
                "splice(conn, NULL, pipeSw, NULL, 4194304, SPLICE_F_NONBLOCK) = 0",
                "epoll_ctl(epoll1, EPOLL_CTL_DEL, conn, …) = 0",
                "close(conn) = 0"), conn3.lines().toList());
        String process = r.out().substring(r.out().indexOf("# process story:"));
        assertEquals(List.of(
                "# process story:",
                "netpoll (concurrent, polls folded): epoll_pwait(epoll1, …, 128, 0|-1, NULL, …)",
                "pipe2([pipeSr, pipeSw], O_NONBLOCK|O_CLOEXEC) = 0",
                "fcntl(pipeSr, F_GETPIPE_SZ) = 65536",
                "epoll_pwait(epoll1, <unfinished>"), process.lines().toList());
    }

    /**
     * A second M enters a poll (Go's non-blocking {@code netpoll(0)} in findrunnable) just as the
     * SIGTERM kills the process: two threads are inside epoll_pwait at the cut. Seen in a real run
     * of Go 1.19 against itself; how many threads are inside a poll at that instant is scheduling.
     */
    @Test
    void twoThreadsInsideAPollAtTheCutAreOneBlockedPoll() {
        String twoBlocked = RawTrace.replaceLine(Fixtures.resource(RUN1), 301, "14912 epoll_pwait(5,  <unfinished ...>",
                "14912 epoll_pwait(5,  <unfinished ...>\n14910 epoll_pwait(5,  <unfinished ...>");
        twoBlocked = Fixtures.replaceOnce(twoBlocked, "14910 +++ killed by SIGTERM +++\n",
                "14910 <... epoll_pwait resumed> <unfinished ...>) = ?\n14910 +++ killed by SIGTERM +++\n");
        Fixtures.Run asActual = concurrent(twoBlocked);
        assertEquals(0, asActual.code(), asActual.out());
        Fixtures.Run asReference = Fixtures.diffTexts(dir, Fixtures.resource(RUN2), twoBlocked, "--concurrent");
        assertEquals(0, asReference.code(), asReference.out());

        String noneBlocked = RawTrace.replaceLine(Fixtures.resource(RUN1), 301, "14912 epoll_pwait(5,  <unfinished ...>",
                "14912 epoll_pwait(5, [], 128, 0, NULL, 5802992) = 0");
        noneBlocked = Fixtures.replaceOnce(noneBlocked, "14912 <... epoll_pwait resumed> <unfinished ...>) = ?\n", "");
        Fixtures.Run none = concurrent(noneBlocked);
        assertEquals(1, none.code(), "no thread left blocked in netpoll at the cut is still a difference:\n" + none.out());
        assertTrue(Fixtures.changes(none.out()).stream().anyMatch(c -> c.startsWith("- ") && c.endsWith("epoll_pwait(epoll1, <unfinished>")),
                none.out());
    }

    // --- one connection's story changed: caught, and the output says which connection and where --

    @Test
    void oneConnectionWithoutTcpNodelayIsCaughtAndNamed() {
        String t = RawTrace.dropCall(Fixtures.resource(RUN1), "14909 setsockopt(11, SOL_TCP, TCP_NODELAY, [1], 4) = 0");
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("trace-diff: DIFFERENT: 1 of 6 stories differ (listener, process, connections:"
                + " 4 in reference, 4 in actual, 3 paired equal)"), r.out());
        List<String> sections = differingSections(r.out());
        assertEquals(1, sections.size(), r.out());
        assertTrue(sections.get(0).contains(", conn3 (accepted at line 107-109) in actual (no equal connection in the actual trace: the closest pair): differs"),
                sections.get(0));
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(1, changes.size(), r.out());
        assertTrue(changes.get(0).endsWith("setsockopt(conn, SOL_TCP, TCP_NODELAY, [1], 4) = 0"), changes.get(0));
        assertReferenceLineShows(changes.get(0), "TCP_NODELAY");
    }

    @Test
    void keepAliveOptionsSwappedOnOneConnectionAreCaught() {
        String t = Fixtures.replaceOnce(Fixtures.resource(RUN1), "14909 setsockopt(12, SOL_TCP, TCP_KEEPINTVL, [15], 4) = 0\n",
                "14909 setsockopt(12, SOL_TCP, TCP_KEEPIDLE, [15], 4) = 0\n");
        t = Fixtures.replaceOnce(t, "14909 setsockopt(12, SOL_TCP, TCP_KEEPIDLE, [15], 4 <unfinished ...>\n",
                "14909 setsockopt(12, SOL_TCP, TCP_KEEPINTVL, [15], 4 <unfinished ...>\n");
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        List<String> sections = differingSections(r.out());
        assertEquals(1, sections.size(), r.out());
        assertTrue(sections.get(0).contains("conn4 (accepted at line 127) in actual"), sections.get(0));
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(2, changes.size(), r.out());
        assertTrue(changes.stream().allMatch(c -> c.contains("TCP_KEEPI")), r.out());
        // KEEPINTVL now comes after KEEPIDLE: the '+' line names the raw lines of the moved call
        assertTrue(Pattern.compile("(?m)^\\+ +143-145 +setsockopt\\(conn, SOL_TCP, TCP_KEEPINTVL, \\[15\\], 4\\) = 0$")
                .matcher(r.out()).find(), "the + line names its raw lines 143-145:\n" + r.out());
    }

    @Test
    void aConnectionNeverRemovedFromEpollIsCaught() {
        String t = RawTrace.dropCall(Fixtures.resource(RUN1), "14913 epoll_ctl(5, EPOLL_CTL_DEL, 12, 0xc00003fe3c <unfinished ...>");
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        assertEquals(1, differingSections(r.out()).size(), r.out());
        assertTrue(differingSections(r.out()).get(0).contains("conn4 (accepted at line 127) in actual"), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(1, changes.size(), r.out());
        assertTrue(changes.get(0).startsWith("- ") && changes.get(0).endsWith("epoll_ctl(epoll1, EPOLL_CTL_DEL, conn, …) = 0"),
                changes.get(0));
        assertReferenceLineShows(changes.get(0), "EPOLL_CTL_DEL");
    }

    @Test
    void aCallReorderedWithinOneConnectionIsCaught() {
        String getsockname = "14909 getsockname(11, {sa_family=AF_INET6, sin6_port=htons(23116), sin6_flowinfo=htonl(0),"
                + " inet_pton(AF_INET6, \"::ffff:127.0.0.1\", &sin6_addr), sin6_scope_id=0}, [112 => 28]) = 0\n";
        String add = "14909 epoll_ctl(5, EPOLL_CTL_ADD, 11, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET,"
                + " data={u32=1287699592, u64=140021516516488}} <unfinished ...>\n";
        String t = Fixtures.replaceOnce(Fixtures.resource(RUN1), getsockname, "");
        t = Fixtures.replaceOnce(t, add, getsockname + add);  // getsockname before the EPOLL_CTL_ADD
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        assertEquals(1, differingSections(r.out()).size(), r.out());
        assertTrue(differingSections(r.out()).get(0).contains("conn3 (accepted at line 107-109) in actual"), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(2, changes.size(), r.out());
        // one call moved: the same text once missing where the reference has it, once added elsewhere
        assertTrue(changes.get(0).startsWith("- ") && changes.get(1).startsWith("+ "), r.out());
        assertEquals(changes.get(0).replaceFirst("^- +[\\d-]+ +", ""), changes.get(1).replaceFirst("^\\+ +[\\d-]+ +", ""));
    }

    @Test
    void anExtraCallInOneConnectionIsCaught() {
        String keepalive = "14909 setsockopt(11, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0\n";
        String t = Fixtures.replaceOnce(Fixtures.resource(RUN1), keepalive,
                keepalive + "14909 setsockopt(11, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n");
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(1, changes.size(), r.out());
        assertTrue(Pattern.compile("^\\+ +119 +setsockopt\\(conn, SOL_SOCKET, SO_LINGER, \\{l_onoff=1, l_linger=0\\}, 8\\) = 0$")
                .matcher(changes.get(0)).matches(), changes.get(0));
        assertTrue(differingSections(r.out()).get(0).contains("conn3 (accepted at line 107-109) in actual"), r.out());
    }

    @Test
    void oneConnectionFewerIsCaught() {
        Fixtures.Run r = concurrent(RawTrace.dropConnection(Fixtures.resource(RUN1), 12));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("connections: 4 in reference, 3 in actual, 3 paired equal"), r.out());
        List<String> lonely = r.out().lines()
                .filter(l -> l.startsWith("=== connection ") && l.contains("in reference, none in actual (the actual trace has fewer connections): differs"))
                .toList();
        assertEquals(1, lonely.size(), r.out());
        // its accept is missing from the listener's story too
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("- ") && l.contains("accept4(sock4, {sa_family=AF_INET6") && l.endsWith("= conn")),
                r.out());
    }

    @Test
    void aDifferentListenerSetupIsCaught() {
        String t = RawTrace.dropCall(Fixtures.resource(RUN1), "14909 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4 <unfinished ...>");
        Fixtures.Run r = concurrent(t);
        assertEquals(1, r.code(), r.out());
        List<String> sections = differingSections(r.out());
        assertEquals(1, sections.size(), r.out());
        assertTrue(sections.get(0).startsWith("=== listener: setup and accepts: differs"), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(1, changes.size(), r.out());
        assertTrue(changes.get(0).startsWith("- ") && changes.get(0).endsWith("setsockopt(sock4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0"),
                changes.get(0));
        assertReferenceLineShows(changes.get(0), "SO_REUSEADDR");
    }

    @Test
    void sideBySideAndHtmlNameTheConnectionOfEachFile() throws Exception {
        String t = RawTrace.dropCall(Fixtures.resource(RUN1), "14909 setsockopt(11, SOL_TCP, TCP_NODELAY, [1], 4) = 0");
        Fixtures.Run side = diff(t, RUN2, "--concurrent", "--side-by-side");
        assertEquals(1, side.code(), side.out());
        assertTrue(side.out().lines().anyMatch(l -> l.startsWith("=== connection ") && l.contains("conn3 (accepted at line 107-109) in actual")),
                side.out());
        assertTrue(side.out().lines().anyMatch(l -> l.matches("^\\d+(-\\d+)? +setsockopt\\(conn, SOL_TCP, TCP_NODELAY, \\[1\\], 4\\) = 0 +<$")),
                "the reference's NODELAY row with its line number and the '<' marker:\n" + side.out());
        Path html = dir.resolve("c.html");
        Fixtures.Run h = diff(t, RUN2, "--concurrent", "--html", html.toString());
        assertEquals(1, h.code(), h.out());
        String page = java.nio.file.Files.readString(html);
        assertTrue(page.contains("<tr class=\"story differs\"><th colspan=\"5\">connection conn"), page);
        assertTrue(page.contains("conn3 (accepted at line 107-109) in actual (no equal connection in the actual trace: the closest pair): differs"), page);
    }

    /** The '-' line's reference line number points at a raw line of RUN2 showing {@code what}. */
    private static void assertReferenceLineShows(String minusLine, String what) {
        Matcher m = Pattern.compile("^- +(\\d+)(?:-\\d+)? ").matcher(minusLine);
        assertTrue(m.find(), minusLine);
        String[] run2 = Fixtures.resource(RUN2).split("\n", -1);
        String raw = run2[Integer.parseInt(m.group(1)) - 1];
        assertTrue(raw.contains(what), "line " + m.group(1) + " of " + RUN2 + " is: " + raw);
    }
}
