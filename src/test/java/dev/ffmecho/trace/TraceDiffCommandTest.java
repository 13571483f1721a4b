package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceDiffCommandTest {

    @TempDir
    Path dir;

    private Path ours(String text) {
        return Fixtures.write(dir, "run.strace", text);
    }

    private static void assertOneErrorLine(Fixtures.Run r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "exactly one line on stderr: " + r.err());
        assertTrue(lines.get(0).startsWith("trace-diff: "), lines.get(0));
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String f : fragments) assertTrue(lines.get(0).contains(f), "'" + f + "' in: " + lines.get(0));
    }

    // --- the mutation tests: an equivalent trace matches, each single defect is caught -----------

    @Test
    void aTraceEquivalentToTheReferenceMatchesIt() {
        Fixtures.Run r = Fixtures.run(ours(Fixtures.ffmEchoGo16()).toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), r.out());
        assertTrue(lines.get(0).contains("matches go1.6"), lines.get(0));
        assertTrue(lines.get(0).contains("41 network calls"), lines.get(0));
        assertTrue(lines.get(0).contains("5 calls after it not compared"), lines.get(0));
        assertEquals("", r.err());
    }

    /** A real strace 6.1 capture of the ffm-echo jar (trimmed, see its header) matches too. */
    @Test
    void aRealCaptureOfFfmEchoMatchesTheReference() {
        Fixtures.Run r = Fixtures.run(ours(Fixtures.resource("ffm-echo-captured-6.1.strace")).toString(), "--explain");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().findFirst().orElseThrow().contains("matches go1.6"), r.out());
        assertTrue(r.out().contains("runtime-noise"), r.out());
    }

    @Test
    void mutationListenerWithoutNonblockIsCaught() {
        String t = Fixtures.replaceOnce(Fixtures.ffmEchoGo16(),
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5");
        Fixtures.Run r = Fixtures.run(ours(t).toString());
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(2, changes.size(), r.out());
        assertTrue(changes.get(0).startsWith("- ") && changes.get(0).endsWith(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = sock4"), changes.get(0));
        assertTrue(changes.get(1).startsWith("+ ") && changes.get(1).endsWith(
                "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = sock4"), changes.get(1));
        assertTrue(Pattern.compile("^\\+ +139 +socket", Pattern.MULTILINE).matcher(r.out()).find(),
                "the + line names its source line 139: " + r.out());
        assertTrue(r.out().contains(". raw: 7153  socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5"), r.out());
    }

    @Test
    void mutationFirstAcceptWithoutEagainWaitIsCaught() {
        String t = Fixtures.ffmEchoGo16();
        // the first accept4's EAGAIN, its epoll_wait(…, 0) and the split epoll_wait(…, -1)
        t = t.replaceFirst(Pattern.quote("7153  accept4(5, 0x7f3c8c0011a0, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)\n"
                + "7153  epoll_wait(6, [], 128, 0)         = 0\n7153  epoll_wait(6,  <unfinished ...>\n"), "");
        t = Fixtures.replaceOnce(t, "7153  <... epoll_wait resumed>[{events=EPOLLIN, data={u32=5, u64=5}}], 128, -1) = 1\n", "");
        assertTrue(t.length() < Fixtures.ffmEchoGo16().length() - 200);
        Fixtures.Run r = Fixtures.run(ours(t).toString());
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(3, changes.size(), r.out());
        assertTrue(changes.get(0).endsWith("accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN"), changes.get(0));
        assertTrue(changes.get(1).endsWith("epoll_wait(epoll1, [], 128, 0) = 0"), changes.get(1));
        assertTrue(changes.get(2).endsWith("epoll_wait(epoll1, [{EPOLLIN, …}], 128, -1) = 1"), changes.get(2));
        assertTrue(changes.stream().allMatch(c -> c.startsWith("- ")), "all three are missing from ours");
    }

    @Test
    void mutationSwappedSetsockoptsAreCaught() {
        String t = Fixtures.ffmEchoGo16();
        String broadcast = "7153  setsockopt(5, SOL_SOCKET, SO_BROADCAST, [1], 4) = 0\n";
        String reuse = "7153  setsockopt(5, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n";
        t = Fixtures.replaceOnce(t, broadcast + reuse, reuse + broadcast);
        Fixtures.Run r = Fixtures.run(ours(t).toString());
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(2, changes.size(), r.out());
        assertTrue(changes.stream().anyMatch(c -> c.contains("SO_BROADCAST") || c.contains("SO_REUSEADDR")), r.out());
    }

    @Test
    void mutationExtraSetsockoptIsCaught() {
        String t = Fixtures.replaceOnce(Fixtures.ffmEchoGo16(),
                "7153  setsockopt(7, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n",
                "7153  setsockopt(7, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n7153  setsockopt(7, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0\n");
        Fixtures.Run r = Fixtures.run(ours(t).toString());
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(1, changes.size(), r.out());
        assertTrue(changes.get(0).startsWith("+ ") && changes.get(0).endsWith(
                "setsockopt(conn1, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0"), changes.get(0));
    }

    @Test
    void theVerdictDoesNotDependOnWhichSideIsTheReference() {
        Path go = Fixtures.write(dir, "go.strace", Fixtures.go16());
        Path ffm = ours(Fixtures.ffmEchoGo16());
        assertEquals(0, Fixtures.run(go.toString(), "--reference", ffm.toString()).code());
        assertEquals(0, Fixtures.run(ffm.toString(), "--reference=" + go).code());
        assertEquals(0, Fixtures.run(ffm.toString(), "--reference", "go1.6").code());
    }

    // --- output forms --------------------------------------------------------------------------

    @Test
    void sideBySideShowsBothColumns() {
        String t = Fixtures.replaceOnce(Fixtures.ffmEchoGo16(), "SO_REUSEADDR", "SO_REUSEPORT");
        Fixtures.Run r = Fixtures.run(ours(t).toString(), "--side-by-side");
        assertEquals(1, r.code());
        String row = r.out().lines().filter(l -> l.contains(" | ")).findFirst().orElseThrow();
        assertTrue(row.matches("^38 +setsockopt\\(sock4, SOL_SOCKET, SO_REUSEADDR, \\[1\\], 4\\) = 0 +\\| 142 +"
                + "setsockopt\\(sock4, SOL_SOCKET, SO_REUSEPORT, \\[1\\], 4\\) = 0$"), row);
    }

    @Test
    void htmlIsSelfContainedSideBySideAndEscaped() throws Exception {
        String t = Fixtures.replaceOnce(Fixtures.ffmEchoGo16(), "SO_BROADCAST", "SO_DEBUG");
        t = Fixtures.replaceOnce(t, "7153  setsockopt(7, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n",
                "7153  setsockopt(7, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n7153  setsockopt(7, SOL_SOCKET, SO_BINDTODEVICE, \"<b>hi</b>&\", 10) = 0\n");
        Path html = dir.resolve("out.html");
        Fixtures.Run r = Fixtures.run(ours(t).toString(), "--html", html.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.out().contains("side-by-side HTML written to " + html));
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertTrue(page.startsWith("<!DOCTYPE html>"));
        assertTrue(page.contains("<style>"));
        assertFalse(page.contains("<link") || page.contains("<script") || page.contains("src=\"http"),
                "no external assets or scripts");
        assertTrue(page.contains("<th>reference (Go)</th>") && page.contains("<th>actual (ours)</th>"));
        assertTrue(page.contains("setsockopt(sock4, SOL_SOCKET, SO_BROADCAST, [1], 4) = 0"), "reference column");
        assertTrue(page.contains("setsockopt(sock4, SOL_SOCKET, SO_DEBUG, [1], 4) = 0"), "actual column");
        assertTrue(page.contains("<tr class=\"changed\">"), "the changed row is highlighted");
        assertTrue(page.contains("htons(&lt;port&gt;)") && !page.contains("<port>"), "tokens are escaped");
        assertTrue(page.contains("&lt;b&gt;hi&lt;/b&gt;&amp;") && !page.contains("<b>hi</b>"), "trace text is escaped");
        assertTrue(page.contains("title=\"7153  setsockopt(5, SOL_SOCKET, SO_DEBUG, [1], 4) = 0\""), "raw line as tooltip");
        assertTrue(page.contains("epoll-data"), "the rules table is on the page");
    }

    @Test
    void explainListsTheRulesWithCountsOnBothSides() {
        Fixtures.Run r = Fixtures.run(ours(Fixtures.ffmEchoGo16()).toString(), "--explain");
        assertEquals(0, r.code());
        String out = r.out();
        assertTrue(out.lines().findFirst().orElseThrow().contains("matches go1.6"));
        // strace 4.x-only rules fire on the reference, 6.x-only rules on ours, shared ones on both
        assertTrue(Pattern.compile("(?m)^  pf-to-af +4 +0  PF_INET").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  pid-prefix +0 +272  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  flowinfo-htonl +0 +6  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  sockaddr-field-order +6 +0  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  somaxconn +4 +4  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  transfer-fold +1 +1  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  eagain-wait-fold +2 +1  ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  runtime-noise +3 +209  ").matcher(out).find(), out);
        assertTrue(out.contains("did not fire on either trace:"), out);
        // every rule that fired is a Rule object, printed with its own why
        for (ExplainRenderer.Line l : ExplainRenderer.fired(new DiffReport(Fixtures.norm(Fixtures.go16()), "go1.6",
                Fixtures.norm(Fixtures.ffmEchoGo16()), "run"))) {
            assertTrue(out.contains(l.rule().id()) && out.contains(l.rule().why()), l.rule().id());
        }
    }

    // --- bad input: one line, exit 2, never a stack trace ----------------------------------------

    @Test
    void badUsage() {
        assertOneErrorLine(Fixtures.run(), "missing ACTUAL", "usage:");
        assertOneErrorLine(Fixtures.run("a.strace", "--frobnicate"), "unknown flag --frobnicate");
        assertOneErrorLine(Fixtures.run("a.strace", "--reference"), "--reference needs a value");
        assertOneErrorLine(Fixtures.run("a.strace", "--html", "--explain"), "--html needs a value");
        assertOneErrorLine(Fixtures.run("a.strace", "b.strace"), "one ACTUAL trace expected");
        assertOneErrorLine(Fixtures.run("a.strace", "--explain=yes"), "--explain takes no value");
    }

    @Test
    void go119HasNoBundledReference() {
        Path t = ours(Fixtures.ffmEchoGo16());
        Fixtures.Run r = Fixtures.run(t.toString(), "--reference", "go1.19");
        assertOneErrorLine(r);
        assertEquals("trace-diff: go1.19 has no bundled reference (its reference is a live Go trace captured by the"
                + " test suite); pass --reference FILE", r.err().strip());
        assertOneErrorLine(Fixtures.run(t.toString(), "--reference", "go1.7"), "go1.7 is not a bundled reference");
    }

    @Test
    void unusableInputFiles() throws Exception {
        assertOneErrorLine(Fixtures.run(dir.resolve("nope.strace").toString()), "nope.strace: no such file", "strace -f -o");
        assertOneErrorLine(Fixtures.run(Fixtures.write(dir, "empty.strace", "").toString()), "empty.strace: empty file");
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        junk[10] = 0;
        Path bin = dir.resolve("core.bin");
        Files.write(bin, junk);
        assertOneErrorLine(Fixtures.run(bin.toString()), "core.bin:", "binary data");
        assertOneErrorLine(Fixtures.run(Fixtures.write(dir, "notes.txt", "# my notes\nhello = world\n").toString()),
                "notes.txt:2: not strace output");
        assertOneErrorLine(Fixtures.run(Fixtures.write(dir, "jvm.strace",
                "100 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3\n100 close(3) = 0\n").toString()),
                "jvm.strace: no network story");
        assertOneErrorLine(Fixtures.run(dir.toString()), "is a directory");
        Path ok = ours(Fixtures.ffmEchoGo16());
        assertOneErrorLine(Fixtures.run(ok.toString(), "--reference", dir.resolve("missing-ref").toString()),
                "missing-ref: no such file");
        assertOneErrorLine(Fixtures.run(ok.toString(), "--html", dir.resolve("no/such/dir/out.html").toString()),
                "cannot write", "--html");
    }

    /**
     * Hostile input: 100 MB that is not strace output, and a real trace cut off in the
     * middle of a line, each give one line naming FILE:LINE — never a stack trace or an OOM.
     */
    @Test
    void hugeAndTruncatedFilesGiveOneLineWithFileAndLine() throws Exception {
        Path huge = dir.resolve("huge.log");
        try (var out = Files.newBufferedWriter(huge)) {
            String line = "2026-11-26 03:14:15 INFO request served in 12 ms by worker-7 on node-3 ".repeat(2) + "\n";
            for (long written = 0; written < 100_000_000L; written += line.length()) out.write(line);
        }
        long t0 = System.nanoTime();
        assertOneErrorLine(Fixtures.run(huge.toString()), "huge.log:1: not strace output");
        assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "a 100 MB file is read in bounded time");
        Files.delete(huge);

        String full = Fixtures.ffmEchoGo16();
        int cut = full.indexOf("accept4(");
        Path truncated = Fixtures.write(dir, "truncated.strace", full.substring(0, cut + 12));
        Fixtures.Run r = Fixtures.run(truncated.toString());
        assertEquals(1, r.code(), "a truncated capture is readable up to its cut and differs from the reference: " + r.err());
        assertTrue(r.out().contains("accept4"), r.out());
    }

    @Test
    void helpPrintsUsage() {
        Fixtures.Run r = Fixtures.run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("usage: ffm-echo trace-diff ACTUAL"));
    }

    /**
     * --concurrent: where each thread's polls fall is scheduling, and so is the order between two
     * stories (here a pipe2 of the process story and the listener's accept); within a story the
     * order still counts.
     */
    @Test
    void concurrentFoldsPollsAndComparesEachStoryInItsOwnOrder() {
        String head = String.join("\n",
                "10 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "10 epoll_create1(EPOLL_CLOEXEC) = 4",
                "10 accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)");
        String accept = "10 accept4(3, {sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5";
        String nodelay = "11 setsockopt(5, SOL_TCP, TCP_NODELAY, [1], 4) = 0";
        String keepalive = "11 setsockopt(5, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0";
        Path a = Fixtures.write(dir, "a.strace", head + "\n" + String.join("\n",
                "10 epoll_pwait(4, [], 128, 0, NULL, 8) = 0",
                "10 epoll_pwait(4, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1, NULL, 8) = 1",
                accept, nodelay, keepalive,
                "11 pipe2([6, 7], O_NONBLOCK|O_CLOEXEC) = 0",
                "10 epoll_pwait(4, [{events=EPOLLOUT, data={u32=5, u64=5}}], 128, 0, NULL, 8) = 1",
                "11 close(5) = 0"));
        Path b = Fixtures.write(dir, "b.strace", head + "\n" + String.join("\n",
                "11 pipe2([6, 7], O_NONBLOCK|O_CLOEXEC) = 0",
                "12 epoll_pwait(4, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1, NULL, 8) = 1",
                accept, nodelay,
                "12 epoll_pwait(4, [], 128, 0, NULL, 8) = 0",
                keepalive,
                "11 close(5) = 0"));
        assertEquals(1, Fixtures.run(a.toString(), "--reference", b.toString()).code());
        Fixtures.Run folded = Fixtures.run(a.toString(), "--reference", b.toString(), "--concurrent", "--explain");
        assertEquals(0, folded.code(), folded.out());
        assertTrue(folded.out().contains("concurrent-polls"), folded.out());
        assertTrue(folded.out().contains("concurrent-stories"), folded.out());
        // Within the connection's story the order is the program's: NODELAY after KEEPALIVE differs.
        Path c = Fixtures.write(dir, "c.strace", head + "\n" + String.join("\n",
                "12 epoll_pwait(4, [{events=EPOLLIN, data={u32=3, u64=3}}], 128, -1, NULL, 8) = 1",
                accept, keepalive, nodelay,
                "11 pipe2([6, 7], O_NONBLOCK|O_CLOEXEC) = 0",
                "11 close(5) = 0"));
        Fixtures.Run r = Fixtures.run(a.toString(), "--reference", c.toString(), "--concurrent");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("=== connection conn1 (accepted at line 5) in reference, conn1 (accepted at line 6) in actual"
                + " (no equal connection in the actual trace: the closest pair): differs"), r.out());
    }

    /** A transfer through a new pooled pipe (its pipe2 and fcntl) or a reused one compares the same, sequential or --concurrent; the final EOF splice is still compared. */
    @Test
    void splicePipeReuseIsTimingInEveryMode() {
        String conn = String.join("\n",
                "10 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
                "10 accept4(3, {sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5",
                "11 pipe2([6, 7], O_NONBLOCK|O_CLOEXEC) = 0",
                "11 splice(5, NULL, 7, NULL, 1048576, SPLICE_F_NONBLOCK) = 2",
                "11 splice(6, NULL, 5, NULL, 2, SPLICE_F_NONBLOCK) = 2",
                "11 splice(5, NULL, 7, NULL, 1048576, SPLICE_F_NONBLOCK) = 0",
                "11 close(5) = 0",
                "10 accept4(3, {sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=0}, [112 => 28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5");
        String reused = String.join("\n",
                "12 splice(5, NULL, 7, NULL, 1048576, SPLICE_F_NONBLOCK) = 2",
                "12 splice(6, NULL, 5, NULL, 2, SPLICE_F_NONBLOCK) = 2",
                "12 splice(5, NULL, 7, NULL, 1048576, SPLICE_F_NONBLOCK) = 0",
                "12 close(5) = 0");
        String fresh = String.join("\n",
                "12 pipe2([8, 9], O_NONBLOCK|O_CLOEXEC) = 0",
                "12 fcntl(8, F_SETPIPE_SZ, 1048576) = 1048576",
                "12 splice(5, NULL, 9, NULL, 1048576, SPLICE_F_NONBLOCK) = 2",
                "12 splice(8, NULL, 5, NULL, 2, SPLICE_F_NONBLOCK) = 2",
                "12 splice(5, NULL, 9, NULL, 1048576, SPLICE_F_NONBLOCK) = 0",
                "12 close(5) = 0");
        Path a = Fixtures.write(dir, "reused.strace", conn + "\n" + reused);
        Path b = Fixtures.write(dir, "fresh.strace", conn + "\n" + fresh);
        Fixtures.Run sequential = Fixtures.run(a.toString(), "--reference", b.toString(), "--explain");
        assertEquals(0, sequential.code(), "a GC empties the pool even in the sequential program:\n" + sequential.out());
        assertTrue(Pattern.compile("(?m)^  splice-pipe-pool +2 +0  ").matcher(sequential.out()).find(), sequential.out());
        Fixtures.Run r = Fixtures.run(a.toString(), "--reference", b.toString(), "--concurrent", "--explain");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("splice-pipe-pool"), r.out());
        // The final EOF splice of the second transfer is compared, whichever pipe it used.
        Path noEof = Fixtures.write(dir, "noeof.strace", conn + "\n" + fresh.replace(
                "12 splice(5, NULL, 9, NULL, 1048576, SPLICE_F_NONBLOCK) = 0\n", ""));
        assertEquals(1, Fixtures.run(a.toString(), "--reference", noEof.toString(), "--concurrent").code());
    }
}
