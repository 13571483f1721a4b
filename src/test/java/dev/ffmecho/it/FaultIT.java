package dev.ffmecho.it;

import dev.ffmecho.it.GoOracleIT.Program;
import dev.ffmecho.it.GoOracleIT.Scenario;
import dev.ffmecho.it.GoOracleIT.Toolchain;
import dev.ffmecho.trace.StraceParser;
import dev.ffmecho.trace.Syscall;
import dev.ffmecho.trace.TraceEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault fidelity, live: the Go study program built with each Go toolchain and ffm-echo with the
 * matching profile (sequential mode) each run under {@code strace -f -e inject=…} with the same
 * fault, and the same clients. Each must keep serving where Go keeps serving (the client after the
 * fault gets its echo byte-exact), the injected call must be in both traces (so a fault that
 * missed its mark fails the test), and {@code trace-diff ffm-echo --reference go} must say they
 * took the same path. Why Go takes each path: native-notes/05-epoll.md, 06-accept4-eagain.md,
 * 12-go-versions.md.
 *
 * <p>strace counts invocations for {@code when=} per syscall and per thread (strace(1),
 * "Tampering"). Both servers make their accept4, epoll_pwait and splice calls on one thread, whose
 * first accept4 finds the queue empty (EAGAIN) and whose first epoll_pwait is the non-blocking poll
 * after it; {@code when=} is chosen from that, so each fault lands on the same call in both.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class FaultIT {
    /** Kept when a case fails: its traces are the evidence. */
    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    static Path dir;

    /** What the first client meets; the second one is always echoed byte-exact. */
    enum FirstClient {
        /** The fault is survived on the way: the first client is echoed byte-exact. */
        ECHOED,
        /** The fault ends the first connection: its bytes are not echoed, the server accepts the next. */
        DROPPED,
        /** As DROPPED, but the client sends only once the server is parked waiting for its bytes. */
        DROPPED_AFTER_PARKING
    }

    /** One strace-injected fault: where it lands, and what Go does about it. */
    enum Fault {
        /** The first connection's accept4. Go: internal/poll.(*FD).Accept retries ECONNABORTED at once. */
        ACCEPT_ECONNABORTED("accept4", "ECONNABORTED", "2", 1, FirstClient.ECHOED, true),
        /**
         * Three accept4 in a row out of fds. Go's Accept returns the error; the study program prints
         * it and calls Accept again (no wait; ffm-echo waits 5, 10, 20 ms: not a network call).
         */
        ACCEPT_EMFILE_THREE_TIMES("accept4", "EMFILE", "2..4", 3, FirstClient.ECHOED, true),
        /** A pending network error of the new connection (accept(2) NOTES): printed, Accept again. */
        ACCEPT_EPROTO("accept4", "EPROTO", "2", 1, FirstClient.ECHOED, true),
        /** internal/poll.(*FD).Accept: {@code case syscall.EINTR: continue}. */
        ACCEPT_EINTR("accept4", "EINTR", "2", 1, FirstClient.ECHOED, false),
        /** runtime.netpoll(0): EINTR with waitms 0 is {@code goto retry}, the same non-blocking poll. */
        NON_BLOCKING_POLL_EINTR("epoll_pwait", "EINTR", "1", 1, FirstClient.ECHOED, false),
        /** runtime.netpoll(-1): EINTR with waitms -1 is {@code goto retry} too (only waitms > 0 returns). */
        BLOCKING_POLL_EINTR("epoll_pwait", "EINTR", "2", 1, FirstClient.ECHOED, false),
        /**
         * The first splice of the first connection (socket → pipe). spliceDrain returns the error,
         * io.Copy returns it, the study program closes the conn (its unread bytes make that an RST)
         * and accepts the next; the empty pipe goes back to the pool.
         */
        SPLICE_INTO_PIPE_ECONNRESET("splice", "ECONNRESET", "1", 1, FirstClient.DROPPED, true),
        /**
         * The third splice: EAGAIN (nothing sent yet), the client's 5 bytes into the pipe, then
         * pipe → socket fails. splicePump returns the error; the pipe still holds the bytes, so
         * putPipe closes it instead of pooling it, and the next connection gets a new pipe.
         */
        SPLICE_OUT_OF_PIPE_ECONNRESET("splice", "ECONNRESET", "3", 1, FirstClient.DROPPED_AFTER_PARKING, true),
        /**
         * The splice pipe cannot be made (the first pipe2 is netpollinit's break pipe, the second
         * the first connection's splice pipe). newPoolPipe discards the error, Splice reports
         * handled=false, and TCPConn.readFrom falls back to genericReadFrom: io.Copy's 32 KiB
         * read/write loop. The next connection tries pipe2 again and splices.
         */
        SPLICE_PIPE2_EMFILE("pipe2", "EMFILE", "2", 1, FirstClient.ECHOED, true) {
            /** go1.23's netpollBreak is an eventfd: there the splice pipe is the first pipe2. */
            @Override
            String when(Toolchain toolchain) {
                return toolchain == Toolchain.GO1_23 ? "1" : when;
            }
        };

        final String syscall;
        final String errno;
        final String when;
        final int injections;
        final FirstClient firstClient;
        /**
         * Whether the injected call stays in the compared lines. trace-diff folds a call that failed
         * with EINTR and was repeated at once (signal noise); what follows it is still compared.
         */
        final boolean compared;

        Fault(String syscall, String errno, String when, int injections, FirstClient firstClient, boolean compared) {
            this.syscall = syscall;
            this.errno = errno;
            this.when = when;
            this.injections = injections;
            this.firstClient = firstClient;
            this.compared = compared;
        }

        /** strace's {@code when=} for this fault in the program built with (or mirroring) {@code toolchain}. */
        String when(Toolchain toolchain) {
            return when;
        }

        List<String> straceOptions(Toolchain toolchain) {
            return List.of("-e", "inject=" + syscall + ":error=" + errno + ":when=" + when(toolchain));
        }
    }

    @BeforeAll
    static void requireStrace() {
        dev.ffmecho.Tools.require("strace", "inject faults into the Go programs and ffm-echo");
    }

    static Stream<Arguments> cases() {
        return Arrays.stream(Toolchain.values()).flatMap(t -> Arrays.stream(Fault.values()).map(f -> Arguments.of(t, f)));
    }

    /**
     * The sequential program is compared call for call. Go's scheduler may, on a busy machine,
     * poll once more than in a quiet run, or resume the accepting goroutine on another thread
     * (whose own strace counter then decides where a {@code when=} fault lands); so up to
     * {@value #GO_ATTEMPTS} Go runs are captured, and one of them must have the fault on the
     * serving thread where ffm-echo has it and equal ffm-echo's trace (as in GoOracleIT: ffm-echo
     * does what an honest run of Go does).
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void ffmEchoTakesGosPathUnderTheSameFault(Toolchain toolchain, Fault fault) throws Exception {
        Path goBinary = GoOracleIT.binary(dir, toolchain, Program.STUDY);
        int ourPort = Jar.freePort();
        Path ours = capture(toolchain + "-" + fault + "-ffm-echo", toolchain, fault, ourPort,
                Jar.command("--profile", toolchain.profile, "--listen", ":" + ourPort));
        String ourProblem = injectionProblem(fault, ours);
        assertNull(ourProblem, ourProblem);
        List<String> goRuns = new ArrayList<>();
        for (int attempt = 1; attempt <= GO_ATTEMPTS; attempt++) {
            int goPort = Jar.freePort();
            Path go = capture(toolchain + "-" + fault + "-go-" + attempt, toolchain, fault, goPort,
                    List.of(goBinary.toString(), "-host", "", "-port", Integer.toString(goPort)));
            String problem = injectionProblem(fault, go);
            if (problem != null) {
                goRuns.add(problem);
                continue;
            }
            GoldenTraceIT.Diff d = GoldenTraceIT.traceDiff(ours, "--reference", go.toString());
            if (d.status() == 0) {
                assertInjectedCallCompared(fault, ours);
                return;
            }
            goRuns.add(go + " differs:\n" + d.out() + d.err());
        }
        fail(fault + ": ffm-echo --profile " + toolchain.profile + " (" + ours + ") vs " + GO_ATTEMPTS
                + " runs of the study program built with " + toolchain.go + ":\n" + String.join("\n", goRuns));
    }

    /**
     * The event loop meets a failed connection's own error the same way: a pending network error
     * on accept4 (EPROTO, accept(2) NOTES) is printed and the loop accepts the next connection at
     * once, instead of ending. The loop's first accept4 is the one that fails (it accepts only
     * once epoll says the listener is readable), so the client behind it is accepted by the next.
     */
    @org.junit.jupiter.api.Test
    void theEventLoopKeepsServingAfterAConnectionErrorOnAccept4() throws Exception {
        Fault fault = Fault.ACCEPT_EPROTO;
        int port = Jar.freePort();
        Path where = Files.createDirectories(dir.resolve("eventloop-" + fault));
        List<String> inject = List.of("-e", "inject=accept4:error=EPROTO:when=1");
        try (StracedServer server = StracedServer.start(where, port, inject,
                Jar.command("--mode", "eventloop", "--loops", "1", "--listen", "127.0.0.1:" + port))) {
            Scenario.echo(server.port, "first".getBytes(StandardCharsets.US_ASCII), 5);
            Scenario.echo(server.port, "second".getBytes(StandardCharsets.US_ASCII), 6);
            StracedServer.assertCleanExit(server);
            String problem = injectionProblem(fault, server.trace);
            assertNull(problem, problem);
            assertTrue(server.stderr().contains("accept4: EPROTO (Protocol error); accepting the next connection"),
                    "the error is reported and the loop goes on: " + server.stderr());
        }
    }

    /** The compared lines show the injected call, marked as strace forged it (unless trace-diff folds it). */
    private static void assertInjectedCallCompared(Fault fault, Path ours) {
        if (!fault.compared) return;
        GoldenTraceIT.Diff normalized = GoldenTraceIT.traceDiff(ours, "--normalized");
        String marked = "= -1 " + fault.errno + " (INJECTED)";
        assertTrue(normalized.out().lines().anyMatch(l -> l.startsWith(fault.syscall + "(") && l.endsWith(marked)),
                "the compared lines show the injected " + fault.syscall + " " + marked + ":\n" + normalized.out());
    }

    private static final int GO_ATTEMPTS = 3;

    /** One traced run of {@code command} under {@code fault}: the first client, then a second one, echoed. */
    private static Path capture(String name, Toolchain toolchain, Fault fault, int port, List<String> command) throws Exception {
        Path where = Files.createDirectories(dir.resolve(name));
        try (StracedServer server = StracedServer.start(where, port, fault.straceOptions(toolchain), command)) {
            int listenerOnly = server.openSockets();
            switch (fault.firstClient) {
                case ECHOED -> Scenario.echo(server.port, "first".getBytes(StandardCharsets.US_ASCII), 5);
                case DROPPED -> notEchoed(server, "first".getBytes(StandardCharsets.US_ASCII), false, listenerOnly);
                case DROPPED_AFTER_PARKING -> notEchoed(server, "first".getBytes(StandardCharsets.US_ASCII), true, listenerOnly);
            }
            Scenario.settle(server, listenerOnly);
            Scenario.echo(server.port, "second".getBytes(StandardCharsets.US_ASCII), 6);
            Scenario.settle(server, listenerOnly);
            server.stop(); // Go dies of SIGTERM; ffm-echo exits 0
            return server.trace;
        }
    }

    /**
     * A client whose connection the fault ends: it sends {@code payload} and gets back less than
     * all of it (EOF or a reset). With {@code afterParking} it first waits until the server has
     * accepted it and is blocked in epoll_wait, i.e. waiting for these bytes, so that the server's
     * first splice on it finds nothing (EAGAIN) in every run.
     */
    private static void notEchoed(StracedServer server, byte[] payload, boolean afterParking, int listenerOnly) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port)) {
            s.setSoTimeout(20000);
            if (afterParking) {
                server.awaitOpenSockets(listenerOnly + 1);
                server.awaitBlockedInEpollWait();
            }
            byte[] got;
            try {
                s.getOutputStream().write(payload);
                got = s.getInputStream().readNBytes(payload.length);
            } catch (java.net.SocketException reset) {
                got = new byte[0];
            }
            assertTrue(got.length < payload.length, "the faulted connection is closed without its echo");
        }
    }

    /**
     * Null when the fault landed: the thread that accepts (and, sequentially, serves) made exactly
     * the expected number of calls strace marked (INJECTED). Other threads are not counted: strace
     * counts {@code when=} per thread, and Go's idle Ms make non-blocking polls of their own, each
     * one's first poll injected too (trace-diff drops such poll-only threads).
     */
    private static String injectionProblem(Fault fault, Path trace) throws IOException {
        List<Syscall> calls = new ArrayList<>();
        try {
            for (TraceEvent e : StraceParser.parse(trace.toString(), Files.readAllLines(trace, StandardCharsets.ISO_8859_1)).events()) {
                if (e instanceof Syscall c) calls.add(c);
            }
        } catch (dev.ffmecho.trace.TraceParseException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        List<Integer> accepting = calls.stream().filter(c -> c.name().equals("accept4")).map(Syscall::pid).distinct().toList();
        if (accepting.size() != 1) return trace + ": accept4 made by threads " + accepting + ", not by one";
        List<String> injected = calls.stream()
                .filter(c -> c.pid() == accepting.get(0) && c.name().equals(fault.syscall) && fault.errno.equals(c.errno())
                        && c.extra() != null && c.extra().endsWith("(INJECTED)"))
                .map(Syscall::raw).toList();
        if (injected.size() == fault.injections) return null;
        return trace + ": " + injected.size() + " injected " + fault.syscall + " " + fault.errno
                + " on the accepting thread, expected " + fault.injections + ": " + injected;
    }
}
