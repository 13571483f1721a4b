package dev.ffmecho.it;

import dev.ffmecho.Tools;
import dev.ffmecho.verify.GoTool;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live oracle: each Go program — the sequential study program and the
 * concurrent one — built with each installed Go (Debian's 1.19, bookworm-backports' 1.23), and
 * ffm-echo with the matching profile, in the mode that mirrors the program, serve the same client
 * scenario under {@code strace -f};
 * {@code trace-diff ours --reference go} must say they are the same. No typed reference: Go itself.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class GoOracleIT {

    @TempDir
    static Path dir;

    /** The Go toolchains that are oracles, each with the ffm-echo profile that mirrors it (Debian's packages). */
    enum Toolchain {
        GO1_19("/usr/lib/go-1.19/bin/go", "go1.19", "golang-go (bookworm)"),
        GO1_23("/usr/lib/go-1.23/bin/go", "go1.23", "golang-1.23-go (bookworm-backports)");

        final Path go;
        final String profile;
        final String packageName;

        Toolchain(String go, String profile, String packageName) {
            this.go = Path.of(go);
            this.profile = profile;
            this.packageName = packageName;
        }

        /** The go tool; a missing toolchain fails in CI (which installs both) and skips elsewhere, naming the package. */
        String require() {
            if (!Files.isExecutable(go)) Tools.missing(go + " is not installed: apt-get install " + packageName);
            return go.toString();
        }
    }

    /** The Go programs under test and the ffm-echo mode that mirrors each. */
    enum Program {
        /** The study program: ResolveTCPAddr + ListenTCP, Accept, io.Copy, Close, one at a time. */
        STUDY("study", "sequential"),
        /** Go's concurrent shape: net.Listen, go handle(conn) with io.Copy and Close. */
        CONCURRENT("concurrent", "goroutine");

        final String dir;
        final String mode;

        Program(String dir, String mode) {
            this.dir = dir;
            this.mode = mode;
        }
    }

    /**
     * {@code program} built with {@code toolchain}, once. A missing toolchain fails in CI (which
     * installs both) and skips elsewhere, naming the package to install.
     */
    static Path binary(Toolchain toolchain, Program program) throws Exception {
        return binary(dir, toolchain, program);
    }

    /** The same, built under {@code dir} (for other tests that run the Go programs). */
    static synchronized Path binary(Path dir, Toolchain toolchain, Program program) throws Exception {
        Path work = dir.resolve(toolchain.profile);
        Path binary = work.resolve(program.dir);
        if (Files.isExecutable(binary)) return binary;
        toolchain.require();
        Files.createDirectories(work);
        // As ffm-echo verify --go builds them: the copy in the jar's resources, the same environment.
        return GoTool.at(toolchain.go, System.getenv(), work).build(program.dir, System.getenv(), work);
    }

    @BeforeAll
    static void requireStrace() {
        Tools.require("strace", "trace the Go programs and ffm-echo");
    }

    /** What the client does; each ends with the server back in its next Accept. */
    enum Scenario {
        HELLO_THEN_CLOSE {
            @Override
            void run(StracedServer server, int listenerOnly) throws Exception {
                echo(server.port, "hello".getBytes(), 5);
                settle(server, listenerOnly);
            }
        },
        TWO_SEQUENTIAL_CLIENTS {
            @Override
            void run(StracedServer server, int listenerOnly) throws Exception {
                echo(server.port, "first".getBytes(), 5);
                settle(server, listenerOnly);
                echo(server.port, "second".getBytes(), 6);
                settle(server, listenerOnly);
            }
        },
        ONE_MIB_IN_PIECES {
            @Override
            void run(StracedServer server, int listenerOnly) throws Exception {
                byte[] payload = new byte[1 << 20];
                new Random(42).nextBytes(payload);
                echo(server.port, payload, 16 * 1024);
                settle(server, listenerOnly);
            }
        },
        CONNECT_AND_CLOSE_WITHOUT_SENDING {
            @Override
            void run(StracedServer server, int listenerOnly) throws Exception {
                try (Socket s = new Socket("127.0.0.1", server.port)) {
                    s.setSoTimeout(10000);
                    s.shutdownOutput();
                    assertEquals(-1, s.getInputStream().read(), "the server closes without echoing anything");
                }
                settle(server, listenerOnly);
            }
        };

        abstract void run(StracedServer server, int listenerOnly) throws Exception;

        /** Sends {@code payload} in pieces of {@code piece} bytes while reading the echo, then closes. */
        static void echo(int port, byte[] payload, int piece) throws Exception {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(20000);
                OutputStream out = s.getOutputStream();
                CompletableFuture<Void> writer = new CompletableFuture<>();
                Thread.ofPlatform().name("oracle-client-writer").start(() -> {
                    try {
                        for (int off = 0; off < payload.length; off += piece) {
                            out.write(payload, off, Math.min(piece, payload.length - off));
                            out.flush();
                        }
                        writer.complete(null);
                    } catch (IOException e) {
                        writer.completeExceptionally(e);
                    }
                });
                InputStream in = s.getInputStream();
                byte[] got = in.readNBytes(payload.length);
                writer.get(20, TimeUnit.SECONDS);
                assertArrayEquals(payload, got, "echoed byte-exact");
            }
        }

        /** The server has closed the conn and is parked in its next accept. */
        static void settle(StracedServer server, int listenerOnly) throws Exception {
            server.awaitOpenSockets(listenerOnly);
            server.awaitBlockedInEpollWait();
        }
    }

    /** One traced run of {@code command} (listening on {@code port}) through {@code scenario}. */
    private static Path capture(String name, Scenario scenario, int port, List<String> command) throws Exception {
        Path where = Files.createDirectories(dir.resolve(scenario + "-" + name));
        try (StracedServer server = StracedServer.start(where, port, command)) {
            int listenerOnly = server.openSockets();
            scenario.run(server, listenerOnly);
            server.stop(); // Go dies of SIGTERM (status 143 or signal); ffm-echo exits 0
            return server.trace;
        }
    }

    /**
     * A run of a program with several threads is one of several honest orders. Go's: an idle M may
     * already be blocked in netpoll when a goroutine parks (then Go skips findrunnable's
     * non-blocking poll, runtime/proc.go: the polls are conditional on {@code sched.lastpoll != 0}),
     * or its poll may wake for a connection whose goroutine is running anyway; under load this
     * happens. ffm-echo's goroutine mode has threads too. So the test collects up to
     * {@value #ATTEMPTS} traces of each and requires one pair to be the same: ffm-echo does what an
     * honest run of Go does. (The sequential program and mode match on the first pair.)
     */
    @ParameterizedTest(name = "{0}, {1}, {2}")
    @org.junit.jupiter.params.provider.MethodSource("cases")
    void ffmEchoMatchesTheLiveGoProgram(Toolchain toolchain, Program program, Scenario scenario) throws Exception {
        Path goBinary = binary(toolchain, program);
        List<Path> ours = new ArrayList<>();
        List<Path> go = new ArrayList<>();
        GoldenTraceIT.Diff d = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            int ourPort = Jar.freePort();
            ours.add(capture(toolchain + "-" + program + "-ffm-echo-" + attempt, scenario, ourPort,
                    Jar.command("--profile", toolchain.profile, "--mode", program.mode, "--listen", ":" + ourPort)));
            int goPort = Jar.freePort();
            go.add(capture(toolchain + "-" + program + "-go-" + attempt, scenario, goPort,
                    List.of(goBinary.toString(), "-host", "", "-port", Integer.toString(goPort))));
            for (Path o : ours) {
                for (Path g : go) {
                    d = program == Program.CONCURRENT
                            ? GoldenTraceIT.traceDiff(o, "--reference", g.toString(), "--concurrent")
                            : GoldenTraceIT.traceDiff(o, "--reference", g.toString());
                    if (d.status() == 0) return;
                }
            }
        }
        assertEquals(0, d.status(), program + ", " + scenario + ": ffm-echo --profile " + toolchain.profile + " --mode "
                + program.mode + ", " + ATTEMPTS + " runs, vs " + ATTEMPTS + " runs of " + goVersion(toolchain)
                + "; the last diff:\n" + d.out() + d.err());
    }

    private static final int ATTEMPTS = 3;

    /**
     * Every toolchain × program × scenario. The sequential program is compared call for call; the
     * concurrent one with {@code trace-diff --concurrent}: which thread polls, when, and whether a
     * transfer reuses a pooled splice pipe (sync.Pool's per-P cache) are scheduling.
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return Arrays.stream(Toolchain.values()).flatMap(t -> Arrays.stream(Program.values())
                .flatMap(p -> Arrays.stream(Scenario.values())
                        .map(s -> org.junit.jupiter.params.provider.Arguments.of(t, p, s))));
    }

    /** The oracle discriminates: the go1.6 profile is not what Go 1.19 does, and the diff says where. */
    @org.junit.jupiter.api.Test
    void theOracleTellsTheGo16ProfileFromGo119() throws Exception {
        Scenario scenario = Scenario.HELLO_THEN_CLOSE;
        int goPort = Jar.freePort();
        Path goTrace = capture("go-vs-go16", scenario, goPort,
                List.of(binary(Toolchain.GO1_19, Program.STUDY).toString(), "-host", "", "-port", Integer.toString(goPort)));
        int ourPort = Jar.freePort();
        Path go16 = capture("ffm-echo-go16", scenario, ourPort, Jar.command("--profile", "go1.6", "--listen", ":" + ourPort));
        GoldenTraceIT.Diff d = GoldenTraceIT.traceDiff(go16, "--reference", goTrace.toString());
        assertEquals(1, d.status(), d.out() + d.err());
        for (String shown : List.of("SO_BROADCAST", "epoll_pwait", "splice", "TCP_KEEPIDLE", "pipe2")) {
            assertTrue(d.out().contains(shown), "the diff shows " + shown + ":\n" + d.out());
        }
    }

    private static String goVersion(Toolchain toolchain) {
        try {
            Process p = new ProcessBuilder(toolchain.go.toString(), "version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return Arrays.stream(v.split(" ")).filter(w -> w.startsWith("go1")).findFirst().orElse(v);
        } catch (IOException | InterruptedException e) {
            return "(unknown version)";
        }
    }
}
