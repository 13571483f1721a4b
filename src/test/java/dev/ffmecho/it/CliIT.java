package dev.ffmecho.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real jar as a user runs it: exit codes and the one-line messages for bad input. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliIT {
    private static void assertOneLineError(Jar.Result r, String expected) {
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.stderr().startsWith("ffm-echo: "), r.stderr());
        assertTrue(r.stderr().contains(expected), r.stderr());
        assertEquals(1, r.stderr().lines().count(), "exactly one line, no stack trace: " + r.stderr());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--listen :99999|port 99999 out of range",
            "--listen nohost:1|unknown host \"nohost\"",
            "--frobnicate|unknown flag --frobnicate",
            "--io io_uring|--io applies to --mode eventloop only",
            "--mode eventloop --io kqueue|--io kqueue is not one of epoll, io_uring",
            "--mode eventloop --io io_uring --trigger edge|--trigger applies to --io epoll only",
    })
    void badInputExits2WithOneLine(String args, String expected) throws Exception {
        assertOneLineError(Jar.run(Jar.command(args.split(" "))), expected);
    }

    @Test
    void aSecondInstanceOnTheSamePortReportsEaddrinuse() throws Exception {
        int port = Jar.freePort();
        Process first = new ProcessBuilder(Jar.command("--listen", "127.0.0.1:" + port, "--quiet")).start();
        try {
            awaitListening(port);
            Jar.Result second = Jar.run(Jar.command("--listen", "127.0.0.1:" + port));
            assertOneLineError(second, "bind: EADDRINUSE (Address already in use)");
            assertTrue(second.stderr().contains("choose another port"), second.stderr());
        } finally {
            first.toHandle().destroy(); // SIGTERM, to the PID we started
            assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, first.exitValue(), "SIGTERM is a clean exit");
        }
    }

    @Test
    void servesEchoAndExitsZeroOnSigterm() throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.command("--listen", ":" + port)).start();
        echoOnceThenSigterm(server, port, "hello\n");
        try (InputStream out = server.getInputStream()) {
            assertEquals("--> binding to :" + port + "\n.", new String(out.readAllBytes()));
        }
    }

    /**
     * Where io_uring is refused (kernel.io_uring_disabled, a seccomp filter: io_uring_setup fails
     * with EPERM; simulated here with strace's fault injection), one line names the cause and the
     * fix, and nothing listens.
     */
    @Test
    void ioUringRefusedByTheKernelIsOneLineNamingTheCauseAndTheFix() throws Exception {
        String strace = dev.ffmecho.Tools.require("strace", "make io_uring_setup fail as a disabled kernel would");
        List<String> cmd = new java.util.ArrayList<>(List.of(strace, "-f", "-o", "/dev/null", "-e", "inject=io_uring_setup:error=EPERM"));
        cmd.addAll(Jar.command("--mode", "eventloop", "--io", "io_uring", "--listen", "127.0.0.1:" + Jar.freePort(), "--quiet"));
        Jar.Result r = Jar.run(cmd);
        assertOneLineError(r, "--io io_uring cannot run here: io_uring_setup: EPERM (Operation not permitted): io_uring is disabled");
        assertTrue(r.stderr().trim().endsWith("; use --io epoll"), r.stderr());
    }

    /**
     * {@code --narrate} with io_uring: besides the syscalls, each request submitted and each
     * completion reaped, one line each, so a message can be followed through the ring.
     */
    @Test
    void narrateFollowsAMessageThroughTheRing() throws Exception {
        int port = Jar.freePort();
        Path err = Files.createTempFile("narrate", ".txt");
        Process server = new ProcessBuilder(Jar.command("--mode", "eventloop", "--io", "io_uring", "--loops", "1", "--narrate",
                "--quiet", "--listen", "127.0.0.1:" + port)).redirectError(err.toFile()).start();
        echoOnceThenSigterm(server, port, "hi");
        List<String> lines = Files.readAllLines(err);
        Files.delete(err);
        String all = String.join("\n", lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("io_uring_setup(4096, {flags=IORING_SETUP_")), all);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("io_uring_register(") && l.contains("IORING_REGISTER_PBUF_RING")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches("#   io_uring \\d+ sqe: accept4\\(\\d+, NULL, NULL, SOCK_CLOEXEC\\|SOCK_NONBLOCK\\) multishot .*")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches("#   io_uring \\d+ cqe: recv\\(\\d+, <a buffer of group 0>, 0, 0\\) multishot = 2  \\[F_MORE\\|F_BUFFER bid=\\d+.*")), all);
        assertTrue(lines.stream().anyMatch(l -> l.matches("#   io_uring \\d+ cqe: send\\(\\d+, 0x\\p{XDigit}+, 2, MSG_NOSIGNAL\\) = 2  user_data=.*")), all);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<... io_uring_enter resumed>")), all);
    }

    /** --procs (goroutine mode's GOMAXPROCS, which StressIT checks) is reported before the binding line. */
    @Test
    void procsIsReportedOnTheFirstLine() throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.command("--listen", "127.0.0.1:" + port, "--mode", "goroutine", "--procs", "3")).start();
        try {
            awaitListening(port);
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(10, TimeUnit.SECONDS));
        }
        try (InputStream out = server.getInputStream()) {
            assertEquals("--> goroutines on 3 carrier threads (--procs, Go's GOMAXPROCS)\n--> binding to 127.0.0.1:" + port + "\n",
                    new String(out.readAllBytes()));
        }
    }

    @Test
    void sigintIsACleanExitToo() throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.command("--listen", "127.0.0.1:" + port, "--quiet")).start();
        awaitListening(port);
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(server.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, server.exitValue());
    }

    /** The product's promise: no java.net, no NIO channels, no dependency — checked in the bytecode the jar ships. */
    @Test
    void theJarHoldsOnlyOurClassesAndReferencesNoJdkNetworking() throws Exception {
        int classes = 0;
        try (var jar = new java.util.zip.ZipFile(Jar.PATH.toFile())) {
            for (var e : java.util.Collections.list(jar.entries())) {
                String name = e.getName();
                assertTrue(name.startsWith("META-INF/") || name.startsWith("dev/ffmecho/") || name.equals("dev/"), "foreign entry " + name);
                if (!name.endsWith(".class")) continue;
                classes++;
                String bytes = new String(jar.getInputStream(e).readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                for (String forbidden : List.of("java/net/", "java/nio/channels/", "sun/nio/")) {
                    assertFalse(bytes.contains(forbidden), name + " references " + forbidden);
                }
            }
        }
        assertTrue(classes > 20, "the jar holds the product classes");
    }

    @Test
    void helpAndVersion() throws Exception {
        Jar.Result help = Jar.run(Jar.command("--help"));
        assertEquals(0, help.status());
        assertTrue(help.stdout().contains("usage:"));
        Jar.Result version = Jar.run(Jar.command("--version"));
        assertEquals(0, version.status());
        assertTrue(version.stdout().matches("ffm-echo \\d+\\.\\d+\\.\\d+ \\(Java .*\\)\\n"), version.stdout());
    }

    @Test
    void plainJavaDashJarNeedsNoFlagBecauseTheManifestEnablesNativeAccess() throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.JAVA, "-jar", Jar.PATH.toString(), "--listen", "127.0.0.1:" + port, "--quiet").start();
        try {
            awaitListening(port);
        } finally {
            server.toHandle().destroy(); // SIGTERM, without closing our ends of its pipes
            assertTrue(server.waitFor(10, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
        String stderr = new String(server.getErrorStream().readAllBytes());
        assertEquals("", stderr, "no restricted-method warning");
    }

    @Test
    void withoutNativeAccessItSaysHowToEnableIt() throws Exception {
        Jar.Result r = Jar.run(List.of(Jar.JAVA, "-cp", Jar.PATH.toString(), "dev.ffmecho.cli.Main", "--listen", ":0"));
        assertOneLineError(r, "--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void anOldJavaGetsOneLineInsteadOfUnsupportedClassVersionError() throws Exception {
        Path java17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(java17), "no JDK 17 on this machine to play the old Java");
        Jar.Result r = Jar.run(List.of(java17.toString(), "-jar", Jar.PATH.toString()));
        assertOneLineError(r, "needs Java 22 or newer");
    }

    /** Waits until something accepts TCP connections on 127.0.0.1:port (bounded: 20 s). */
    /**
     * One client sends {@code payload}, half-closes and must get it back; then SIGTERM to the
     * server (without closing our ends of its pipes), which must exit 0 within 10 s.
     */
    private static void echoOnceThenSigterm(Process server, int port, String payload) throws Exception {
        try {
            awaitListening(port);
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(payload.getBytes());
                s.shutdownOutput();
                assertArrayEquals(payload.getBytes(), s.getInputStream().readAllBytes());
            }
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(10, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
    }

    static void awaitListening(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (Files.exists(Path.of("/proc/net/tcp")) && listening(port)) return;
            Thread.sleep(50);
        }
        throw new AssertionError("nothing listening on port " + port + " after 20 s");
    }

    /** Reads /proc/net/tcp{,6} rather than connecting, so no connection reaches the server. */
    private static boolean listening(int port) {
        String hexPort = String.format(":%04X ", port);
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    // state 0A = LISTEN
                    if (line.contains(hexPort) && line.trim().split("\\s+")[3].equals("0A")
                            && line.trim().split("\\s+")[1].endsWith(hexPort.trim())) {
                        return true;
                    }
                }
            } catch (java.io.IOException ignored) {
                // table absent (no IPv6): check the other
            }
        }
        return false;
    }
}
