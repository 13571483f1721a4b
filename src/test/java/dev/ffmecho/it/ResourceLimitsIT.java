package dev.ffmecho.it;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Out of file descriptors: with {@code ulimit -n 128}, accept4 fails with EMFILE once the
 * server holds ~120 connections. It must back off as Go's net/http does (5 ms, doubling, capped at
 * 1 s), keep serving the connections it has, and accept the waiting ones as soon as fds free up.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResourceLimitsIT {
    private static final int FD_LIMIT = 128;
    private static final int CLIENTS = 140;

    @TempDir
    Path dir;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"goroutine", "eventloop", "eventloop --io io_uring"})
    void emfileBacksOffKeepsServingAndAcceptsAgainWhenFdsFreeUp(String mode) throws Exception {
        int port = Jar.freePort();
        List<String> args = new ArrayList<>(List.of(Jar.modeArgs(mode, "--listen", "127.0.0.1:" + port, "--quiet")));
        if (mode.startsWith("eventloop")) args.addAll(List.of("--loops", "1")); // one loop: one back-off sequence
        String command = "ulimit -n " + FD_LIMIT + " && exec " + String.join(" ", Jar.command(args.toArray(String[]::new)));
        Path stderr = dir.resolve("stderr.txt");
        Process server = new ProcessBuilder("bash", "-c", command).redirectError(stderr.toFile()).start();
        List<Socket> clients = new ArrayList<>();
        try {
            CliIT.awaitListening(port);
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = new Socket("127.0.0.1", port); // completes in the kernel's backlog either way
                s.setSoTimeout(500);
                clients.add(s);
            }
            int served = 0;
            List<Socket> waiting = new ArrayList<>();
            for (Socket s : clients) {
                s.getOutputStream().write('x');
                try {
                    if (s.getInputStream().read() == 'x') served++;
                } catch (java.net.SocketTimeoutException notAccepted) {
                    waiting.add(s);
                }
            }
            assertTrue(served > 100 && served < CLIENTS, "served up to the fd limit: " + served);
            assertEquals(CLIENTS - served, waiting.size());
            assertTrue(server.isAlive(), "EMFILE does not take the server down");

            // Free 30 fds: the server accepts the waiting clients and echoes what they sent.
            for (Socket s : clients.subList(0, 30)) if (!waiting.contains(s)) s.close();
            for (Socket s : waiting) {
                s.setSoTimeout(10000);
                assertEquals('x', s.getInputStream().read(), "a waiting client is served once fds free up");
            }
        } finally {
            for (Socket s : clients) s.close();
            server.toHandle().destroy(); // SIGTERM to the bash-exec'd java
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
        List<String> lines = Files.readAllLines(stderr);
        assertTrue(lines.size() >= 2, "the back-off is reported: " + lines);
        for (String l : lines) {
            assertTrue(l.matches("ffm-echo: accept4: EMFILE \\(Too many open files\\); retrying in \\d+ms"), l);
        }
        assertEquals("ffm-echo: accept4: EMFILE (Too many open files); retrying in 5ms", lines.get(0));
        assertEquals("ffm-echo: accept4: EMFILE (Too many open files); retrying in 10ms", lines.get(1));
        assertTrue(lines.stream().noneMatch(l -> l.matches(".*retrying in (\\d{5,}|[2-9]\\d{3})ms")), "capped at 1 s");
    }
}
