package dev.ffmecho.it;

import dev.ffmecho.trace.TraceDiffCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fidelity proof: the real jar under {@code strace -f}, one client that connects, sends
 * "hello", reads the echo and closes; then SIGTERM. {@code trace-diff} against the Go reference
 * must say "equal" — and must say "different" when the same trace is mutated the ways a broken
 * port would differ.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GoldenTraceIT {
    @TempDir
    static Path dir;
    /** The trace of the default, dual-stack run, captured once for the tests below. */
    static List<String> golden;

    @BeforeAll
    static void captureTheRealJar() throws Exception {
        golden = Files.readAllLines(capture(dir.resolve("dual-stack"), "", "127.0.0.1"));
    }

    /** Runs one traced session of the study scenario and returns the trace file. */
    static Path capture(Path where, String listenHost, String connectHost, String... extra) throws Exception {
        Files.createDirectories(where);
        try (StracedServer server = StracedServer.start(where, listenHost, extra)) {
            int listenerOnly = server.openSockets();
            try (Socket client = new Socket(connectHost, server.port)) {
                client.setSoTimeout(10000);
                client.getOutputStream().write("hello".getBytes());
                InputStream in = client.getInputStream();
                assertArrayEquals("hello".getBytes(), in.readNBytes(5));
            }
            // The server has closed the conn and is parked in the next Accept's epoll_wait(-1).
            server.awaitOpenSockets(listenerOnly);
            server.awaitBlockedInEpollWait();
            StracedServer.assertCleanExit(server);
            assertEquals("--> binding to " + listenHost + ":" + server.port + "\n.", server.stdout());
            return server.trace;
        }
    }

    record Diff(int status, String out, String err) {}

    static Diff traceDiff(Path trace, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of(trace.toString()));
        args.addAll(List.of(options));
        int status = TraceDiffCommand.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Diff(status, out.toString(), err.toString());
    }

    static Path write(String name, List<String> lines) throws IOException {
        return Files.write(dir.resolve(name), lines);
    }

    @Test
    void theRealJarsTraceMatchesTheGo16Reference() throws IOException {
        Diff d = traceDiff(write("golden.strace", golden));
        assertEquals(0, d.status(), d.out() + d.err());
    }

    @Test
    void explainListsTheNormalizationsItApplied() throws IOException {
        Diff d = traceDiff(write("golden.strace", golden), "--explain");
        assertEquals(0, d.status(), d.out() + d.err());
        for (String what : List.of("fd", "port", "somaxconn", "transfer", "SIGTERM")) {
            assertTrue(d.out().toLowerCase().contains(what.toLowerCase()), "--explain mentions " + what + ":\n" + d.out());
        }
    }

    /** SIGTERM is a clean exit: every fd the network story opened is closed by the program itself. */
    @Test
    void afterSigtermEveryNetworkFdIsClosed() throws IOException {
        Diff d = traceDiff(write("golden.strace", golden), "--normalized");
        assertEquals(0, d.status(), d.err());
        java.util.Set<String> born = new java.util.TreeSet<>();
        java.util.Set<String> closed = new java.util.TreeSet<>();
        Matcher birth = Pattern.compile("= (sock\\d+|epoll\\d+|conn\\d+|somaxconn|event\\d+)$").matcher("");
        Matcher pipe = Pattern.compile("pipe2\\(\\[(pipe\\d+r), (pipe\\d+w)\\]").matcher("");
        Matcher close = Pattern.compile("^close\\((\\w+)\\) = 0$").matcher("");
        for (String line : d.out().lines().toList()) {
            if (birth.reset(line).find()) born.add(birth.group(1));
            if (pipe.reset(line).find()) born.addAll(List.of(pipe.group(1), pipe.group(2)));
            if (close.reset(line).find()) closed.add(close.group(1));
        }
        assertTrue(born.containsAll(List.of("somaxconn", "sock4", "epoll1", "conn1")), "born: " + born);
        assertEquals(born, closed, "every fd born is closed:\n" + d.out());
    }

    @Test
    void htmlReportIsWritten() throws IOException {
        Path html = dir.resolve("diff.html");
        Diff d = traceDiff(write("golden.strace", golden), "--html", html.toString());
        assertEquals(0, d.status(), d.out() + d.err());
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>") || page.startsWith("<!doctype html>"), page.substring(0, 40));
        assertTrue(page.contains("accept4"));
    }

    // ---- Mutations of the real trace: each is a way a port could be unfaithful. ----

    @Test
    void droppingSockNonblockFromTheListenerShows() throws IOException {
        List<String> t = replaceFirst(golden, "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP", "SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP");
        assertDifferent(t, "SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP");
    }

    @Test
    void removingTheAcceptEagainRetryShows() throws IOException {
        List<String> t = new ArrayList<>(golden);
        int accept = indexOfCall(t, 0, "accept4");
        String pid = pidOf(t.get(accept));
        assertTrue(t.get(accept).contains("EAGAIN") || resumedLine(t, accept, "accept4").contains("EAGAIN"));
        int wait0 = indexOfCall(t, accept + 1, "epoll_wait");
        int wait1 = indexOfCall(t, wait0 + 1, "epoll_wait");
        assertEquals(pid, pidOf(t.get(wait1)));
        List<Integer> doomed = new ArrayList<>();
        for (int start : new int[] {accept, wait0, wait1}) {
            doomed.add(start);
            if (t.get(start).endsWith("<unfinished ...>")) doomed.add(t.indexOf(resumedLine(t, start, callName(t.get(start)))));
        }
        doomed.sort(null);
        for (int i = doomed.size() - 1; i >= 0; i--) t.remove((int) doomed.get(i));
        assertDifferent(t, "EAGAIN");
    }

    @Test
    void swappingTwoCallsShows() throws IOException {
        List<String> t = new ArrayList<>(golden);
        int broadcast = indexOf(t, "SO_BROADCAST");
        int reuse = indexOf(t, "SO_REUSEADDR");
        t.set(broadcast, golden.get(broadcast).replace("SO_BROADCAST", "SO_REUSEADDR"));
        t.set(reuse, golden.get(reuse).replace("SO_REUSEADDR", "SO_BROADCAST"));
        assertDifferent(t, "SO_REUSEADDR");
    }

    @Test
    void anExtraSetsockoptShows() throws IOException {
        List<String> t = new ArrayList<>(golden);
        int nodelay = indexOf(t, "TCP_NODELAY");
        Matcher m = Pattern.compile("^(\\d+\\s+)setsockopt\\((\\d+),").matcher(t.get(nodelay));
        assertTrue(m.find(), t.get(nodelay));
        t.add(nodelay + 1, m.group(1) + "setsockopt(" + m.group(2) + ", SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0");
        assertDifferent(t, "SO_KEEPALIVE");
    }

    private static void assertDifferent(List<String> mutated, String shownInDiff) throws IOException {
        Diff d = traceDiff(write("mutated.strace", mutated));
        assertEquals(1, d.status(), "the mutation must be caught:\n" + d.out() + d.err());
        assertTrue(d.out().contains(shownInDiff), "the diff shows the offending call (" + shownInDiff + "):\n" + d.out());
    }

    // ---- The other listener families follow Go 1.6 too (references derived from its source). ----

    @ParameterizedTest(name = "listen {0}, reference {2}")
    @CsvSource({
            "127.0.0.1, 127.0.0.1, go1.6-listen-ipv4.strace",
            "[::1], ::1, go1.6-listen-ipv6-loopback.strace",
    })
    void otherListenAddressesMatchTheirGo16References(String listen, String connect, String reference) throws Exception {
        Path trace = capture(dir.resolve(reference), listen, connect);
        Path ref = Path.of("src/test/resources/dev/ffmecho/it", reference).toAbsolutePath();
        Diff d = traceDiff(trace, "--reference", ref.toString());
        assertEquals(0, d.status(), d.out() + d.err());
    }

    // ---- small helpers over raw strace -f lines ("PID call(...) = r") ----

    private static List<String> replaceFirst(List<String> lines, String what, String with) {
        List<String> t = new ArrayList<>(lines);
        int i = indexOf(t, what);
        t.set(i, t.get(i).replace(what, with));
        return t;
    }

    private static int indexOf(List<String> lines, String what) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(what)) return i;
        throw new AssertionError("the trace has no line with " + what);
    }

    private static final Pattern CALL = Pattern.compile("^\\d+\\s+([a-z0-9_]+)\\(");

    private static int indexOfCall(List<String> lines, int from, String name) {
        for (int i = from; i < lines.size(); i++) {
            Matcher m = CALL.matcher(lines.get(i));
            if (m.find() && m.group(1).equals(name)) return i;
        }
        throw new AssertionError("no " + name + " call after line " + from);
    }

    private static String callName(String line) {
        Matcher m = CALL.matcher(line);
        assertTrue(m.find(), line);
        return m.group(1);
    }

    private static String pidOf(String line) {
        return line.substring(0, line.indexOf(' '));
    }

    /** The {@code <... name resumed>} line that completes the unfinished call at {@code start}, or the line itself. */
    private static String resumedLine(List<String> lines, int start, String name) {
        if (!lines.get(start).endsWith("<unfinished ...>")) return lines.get(start);
        String prefix = pidOf(lines.get(start)) + " ";
        for (int i = start + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith(prefix) && l.contains("<... " + name + " resumed>")) return l;
        }
        throw new AssertionError("unfinished " + name + " at line " + start + " never resumes");
    }
}
