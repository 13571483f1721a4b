package dev.ffmecho.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A server under {@code strace -f -o NAME.strace}, its output in NAME.out and NAME.err. Every wait
 * is bounded ({@value #WAIT_SECONDS} s) and reads /proc instead of sleeping a guessed time, so
 * that when the trace is cut the server is where it would be between two clients: parked in its
 * next accept. It is stopped with SIGTERM to the server's own PID (not strace's: strace would
 * detach and let it run); on any failure, and at JVM exit, both are killed by PID.
 */
final class TracedServer implements AutoCloseable {
    static final long WAIT_SECONDS = 30;
    private static final long POLL_MILLIS = 20;

    private final String name;
    private final Path dir;
    private final int port;
    private final Process strace;
    private final Thread killOnExit;
    private ProcessHandle server;
    private int listenerSockets = -1;

    private TracedServer(String name, Path dir, int port, Process strace) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.strace = strace;
        this.killOnExit = new Thread(this::kill, "verify-kill-" + name);
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /** Starts {@code strace -f -o DIR/NAME.strace COMMAND…} for a server that will listen on {@code port}. */
    static TracedServer start(String name, Strace strace, List<String> command, int port, Path dir) throws VerifyException {
        List<String> cmd = new ArrayList<>(List.of(strace.path().toString(), "-f", "-o", dir.resolve(name + ".strace").toString()));
        cmd.addAll(command);
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectOutput(dir.resolve(name + ".out").toFile())
                    .redirectError(dir.resolve(name + ".err").toFile())
                    .start();
            return new TracedServer(name, dir, port, p);
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot start " + strace.path() + ": " + e.getMessage());
        }
    }

    Path trace() {
        return dir.resolve(name + ".strace");
    }

    int port() {
        return port;
    }

    /** Waits until the server listens on its port and is parked; remembers how many sockets it then holds. */
    void awaitReady() throws VerifyException, InterruptedException {
        await("start", () -> (server = serverChild().orElse(null)) != null);
        await("listen on port " + port, () -> Proc.listening(port));
        await("park in epoll_wait", () -> Proc.parked(server.pid()), () -> Proc.whyNotParked(server.pid()));
        listenerSockets = Proc.openSockets(server.pid());
    }

    /** Waits until every client connection is closed on the server's side and it is parked again. */
    void awaitSettled() throws VerifyException, InterruptedException {
        await("close its client connections", () -> Proc.openSockets(server.pid()) == listenerSockets);
        await("park in its next accept", () -> Proc.parked(server.pid()), () -> Proc.whyNotParked(server.pid()));
    }

    /** SIGTERM to the server, then strace's exit, which ends the trace. */
    void stop() throws VerifyException, InterruptedException {
        server.destroy();
        if (!strace.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw VerifyException.cannotRun(name + " did not exit within " + WAIT_SECONDS + " s of SIGTERM; see " + dir.resolve(name + ".err"));
        }
    }

    /**
     * strace's child once it has exec'd the server: strace forks short-lived children of its own
     * first (its ptrace feature checks), and the child runs strace's image until its exec.
     */
    private Optional<ProcessHandle> serverChild() {
        Optional<String> straceImage = strace.info().command();
        return strace.children()
                .filter(c -> c.info().command().isPresent() && !c.info().command().equals(straceImage))
                .findFirst();
    }

    private void await(String what, BooleanSupplier done) throws VerifyException, InterruptedException {
        await(what, done, null);
    }

    /** As {@link #await(String, BooleanSupplier)}; on time-out the message adds what {@code state} says (null: nothing). */
    private void await(String what, BooleanSupplier done, Supplier<String> state) throws VerifyException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!done.getAsBoolean()) {
            if (!strace.isAlive()) {
                throw VerifyException.cannotRun(name + " exited before it could " + what + ": " + lastWords());
            }
            if (System.nanoTime() > deadline) {
                throw VerifyException.cannotRun(name + " did not " + what + " within " + WAIT_SECONDS + " s"
                        + (state == null ? "" : " (" + state.get() + ")") + ": " + lastWords());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** The last line the server (or strace) wrote on stderr, for a one-line message. */
    private String lastWords() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(name + ".err")).stream().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "nothing on stderr" : lines.getLast().strip();
        } catch (IOException e) {
            return "no stderr (" + e.getMessage() + ")";
        }
    }

    /** Kills the server and strace by PID (no-ops once they have exited). */
    private void kill() {
        if (server != null) server.destroyForcibly();
        strace.children().forEach(ProcessHandle::destroyForcibly); // a server child not yet recognised
        strace.destroyForcibly();
    }

    @Override
    public void close() {
        if (strace.isAlive()) {
            kill();
            try {
                strace.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // killed already; the caller sees the interrupt
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it does the same
        }
    }
}
