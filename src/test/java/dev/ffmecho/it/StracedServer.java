package dev.ffmecho.it;

import dev.ffmecho.Tools;
import dev.ffmecho.verify.Proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real jar under {@code strace -f -o FILE}, as the README tells users to run it. Knows when the
 * server is parked in a blocking {@code epoll_wait} by reading {@code /proc/PID/task/TID/syscall}
 * (not by sleeping), so that the traced sequence does not depend on timing, and stops it with
 * SIGTERM sent to the PID of the program it started.
 */
final class StracedServer implements AutoCloseable {
    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    final Path trace;
    final int port;
    private final Process strace;
    private final ProcessHandle program;

    private StracedServer(Path trace, int port, Process strace, ProcessHandle program) {
        this.trace = trace;
        this.port = port;
        this.strace = strace;
        this.program = program;
    }

    /** Starts {@code strace -f -o TRACE java … -jar ffm-echo.jar --listen HOST:PORT [EXTRA…]} on a free port. */
    static StracedServer start(Path dir, String host, String... extra) throws IOException, InterruptedException {
        int port = Jar.freePort();
        List<String> args = new ArrayList<>(List.of("--listen", host + ":" + port));
        args.addAll(List.of(extra));
        return start(dir, port, Jar.command(args.toArray(String[]::new)));
    }

    /** Starts {@code strace -f -o DIR/run.strace COMMAND…}, a server that listens on {@code port}. */
    static StracedServer start(Path dir, int port, List<String> command) throws IOException, InterruptedException {
        return start(dir, port, List.of(), command);
    }

    /**
     * Starts {@code strace -f -o DIR/run.strace STRACE_OPTIONS… COMMAND…}, e.g. with
     * {@code -e inject=accept4:error=EMFILE:when=2} to make the traced program meet a fault.
     */
    static StracedServer start(Path dir, int port, List<String> straceOptions, List<String> command)
            throws IOException, InterruptedException {
        String straceBin = Tools.require("strace", "prove syscall fidelity by tracing the real programs");
        Path trace = dir.resolve("run.strace");
        List<String> cmd = new ArrayList<>(List.of(straceBin, "-f", "-o", trace.toString()));
        cmd.addAll(straceOptions);
        cmd.addAll(command);
        Process strace = new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        ProcessHandle server = awaitChild(strace, command.get(0));
        StracedServer s = new StracedServer(trace, port, strace, server);
        s.awaitBlockedInEpollWait();
        return s;
    }

    /**
     * The server child of strace (running {@code program}). strace forks short-lived children of its own at startup (its ptrace
     * feature tests), so the child is recognised by the program it runs, not by being first.
     */
    private static ProcessHandle awaitChild(Process strace, String program) throws InterruptedException {
        String name = Path.of(program).getFileName().toString();
        long deadline = System.nanoTime() + WAIT_LIMIT_NANOS;
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = strace.children()
                    .filter(c -> c.info().command().map(cmd -> cmd.equals(program) || cmd.endsWith("/" + name)).orElse(false))
                    .findFirst();
            if (child.isPresent()) return child.get();
            assertTrue(strace.isAlive(), "strace exited early: is ptrace permitted here?");
            Thread.sleep(20);
        }
        throw new AssertionError("strace started no child within 30 s");
    }

    /**
     * Waits until a thread of the server is inside a blocking {@code epoll_wait}/{@code epoll_pwait}
     * (timeout -1): the accept loop is parked ({@link Proc#blockedInEpollWait}).
     */
    void awaitBlockedInEpollWait() throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_LIMIT_NANOS;
        while (System.nanoTime() < deadline) {
            assertTrue(program.isAlive(), "the server exited: " + stderr());
            if (Proc.blockedInEpollWait(program.pid())) return;
            Thread.sleep(20);
        }
        throw new AssertionError("the server never blocked in epoll_wait(…, -1) within 30 s");
    }

    /** Number of TCP/UDP/UNIX sockets the server holds open. */
    int openSockets() {
        return Proc.openSockets(program.pid());
    }

    /** Waits until the server holds {@code count} sockets (e.g. the listener only, after a close). */
    void awaitOpenSockets(int count) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT_LIMIT_NANOS;
        while (openSockets() != count) {
            assertTrue(System.nanoTime() < deadline, "the server still holds " + openSockets() + " sockets, expected " + count);
            Thread.sleep(20);
        }
    }

    String stderr() {
        try {
            return Files.readString(trace.resolveSibling("stderr.txt"));
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }

    String stdout() throws IOException {
        return Files.readString(trace.resolveSibling("stdout.txt"));
    }

    /** The traced program's PID (not strace's). */
    long pid() {
        return program.pid();
    }

    /** SIGTERM to the program's PID; ffm-echo drains and exits 0 (Go dies of it), and strace exits with it. */
    int stop() throws InterruptedException {
        program.destroy();
        assertTrue(strace.waitFor(30, TimeUnit.SECONDS), "the traced program did not exit within 30 s of SIGTERM");
        return strace.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (program.isAlive()) program.destroyForcibly();
        if (strace.isAlive() && !strace.waitFor(10, TimeUnit.SECONDS)) strace.destroyForcibly();
    }

    static void assertCleanExit(StracedServer server) throws InterruptedException {
        assertEquals(0, server.stop(), "exit status after SIGTERM; stderr: " + server.stderr());
    }
}
