package dev.ffmecho.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No leak across 100 000 connections: open fds, threads and the JVM's native memory
 * (NMT's "Other", where java.lang.foreign allocations are counted) are back at their baseline,
 * measured after a GC (per-thread errno buffers come from automatic arenas, which the GC frees).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LeakIT {
    private static final int WARMUP = 2_000;
    private static final int CONNECTIONS = 100_000;
    private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    @TempDir
    Path dir;

    record Usage(int fds, int threads, long otherKB) {}

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "goroutine", "eventloop", "eventloop --io io_uring"})
    void aHundredThousandConnectionsLeaveNoFdThreadOrNativeMemoryBehind(String mode) throws Exception {
        int port = Jar.freePort();
        List<String> cmd = new ArrayList<>(Jar.command(Jar.modeArgs(mode, "--listen", "127.0.0.1:" + port, "--quiet")));
        cmd.add(1, "-XX:NativeMemoryTracking=summary");
        Process server = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).start();
        try {
            CliIT.awaitListening(port);
            churn(port, WARMUP);
            Usage before = usage(server.pid());
            assertTrue(before.fds() > 3 && before.threads() > 1 && before.otherKB() > 0, "measured: " + before);
            churn(port, CONNECTIONS);
            Usage after = usage(server.pid());
            assertEquals(before.fds(), after.fds(), "open fds: " + before + " → " + after);
            assertTrue(after.threads() <= before.threads() + 2, "threads: " + before + " → " + after);
            assertTrue(after.otherKB() <= before.otherKB() + 256, "NMT Other (native memory): " + before + " → " + after);
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
        assertEquals("", Files.readString(dir.resolve("stderr.txt")), "no connection reported an error");
    }

    /**
     * {@code n} short connections one after another: send a byte, half-close, read the echo and the
     * server's EOF, then close with SO_LINGER 0 — an RST on a socket the server has already closed,
     * so no TIME_WAIT piles up on the client's ephemeral ports.
     */
    private static void churn(int port, int n) throws IOException {
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.setSoTimeout(10000);
                s.connect(addr, 10000);
                s.getOutputStream().write(i);
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                assertEquals(i & 0xff, in.read());
                assertEquals(-1, in.read());
                s.setSoLinger(true, 0);
            }
        }
    }

    /** After a full GC: fds in /proc, threads in /proc status, NMT's Other committed. */
    private static Usage usage(long pid) throws Exception {
        jcmd(pid, "GC.run");
        Thread.sleep(500);
        String nmt = jcmd(pid, "VM.native_memory", "summary");
        Matcher m = OTHER.matcher(nmt);
        long other = m.find() ? Long.parseLong(m.group(2)) : 0;
        int fds;
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = (int) list.count();
        }
        int threads = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Threads:")).map(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst().orElse(-1);
        return new Usage(fds, threads, other);
    }

    private static String jcmd(long pid, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd finished");
        assertEquals(0, p.exitValue(), "jcmd " + String.join(" ", command) + ": " + out);
        return out;
    }
}
