package dev.ffmecho.it;

import dev.ffmecho.Tools;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded soak: for {@code ffmecho.soak.seconds} (default 60) per mode, a mixed load
 * on the real jar — connect/echo/close churn, long-lived streams, and a 64-byte ping whose round
 * trips are timed — with zero errors allowed. It prints the ping's p50/p99 and the server's RSS
 * every 10 s, and requires RSS not to keep growing (the last sample within 1.1× the one at 10 s;
 * the server runs with a fixed, pre-touched 64 MiB heap so that heap expansion is not mistaken for
 * a leak).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class SoakIT {
    private static final long SECONDS = Long.getLong("ffmecho.soak.seconds", 60);
    private static final int STREAMS = 8;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sequential", "goroutine", "eventloop", "eventloop --io io_uring"})
    void mixedLoadWithZeroErrors(String mode) throws Exception {
        int port = Jar.freePort();
        Path stderr = dir.resolve(mode.replace(' ', '_') + "-stderr.txt");
        List<String> cmd = new ArrayList<>(Jar.command(Jar.modeArgs(mode, "--listen", "127.0.0.1:" + port, "--quiet")));
        // A fixed, pre-touched heap: RSS then moves only if native memory or the JVM's own areas grow,
        // not because G1 expands a 6 GiB-max heap as garbage accumulates between collections.
        cmd.addAll(1, List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch"));
        Process server = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        List<CompletableFuture<Long>> workers = new ArrayList<>();
        List<Long> rttNanos = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> rss = new ArrayList<>();
        try {
            CliIT.awaitListening(port);
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
            // Sequential mode serves one connection at a time: there, the parts take turns.
            boolean concurrent = !mode.equals("sequential");
            workers.add(run(() -> churn(addr, deadline)));
            if (concurrent) {
                for (int i = 0; i < STREAMS; i++) {
                    long seed = i;
                    workers.add(run(() -> stream(addr, deadline, seed)));
                }
                workers.add(run(() -> ping(addr, deadline, rttNanos)));
            }
            long start = System.nanoTime();
            while (System.nanoTime() < deadline) {
                Thread.sleep(1000);
                long s = (System.nanoTime() - start) / 1_000_000_000L;
                if (s % 10 == 0) rss.add(s + "s:" + Tools.rssKiB(server.pid()) + "KiB");
            }
            long ops = 0;
            for (CompletableFuture<Long> w : workers) ops += w.get(60, TimeUnit.SECONDS);
            if (!concurrent) ping(addr, System.nanoTime() + TimeUnit.SECONDS.toNanos(5), rttNanos);
            long[] sorted = rttNanos.stream().mapToLong(Long::longValue).sorted().toArray();
            long p50 = sorted[sorted.length / 2] / 1000;
            long p99 = sorted[(int) (sorted.length * 0.99)] / 1000;
            System.out.printf("soak %s: %d s, %d operations, ping p50 %d µs p99 %d µs over %d round trips, RSS %s%n",
                    mode, SECONDS, ops, p50, p99, sorted.length, rss);
            assertTrue(server.isAlive());
            if (rss.size() >= 3) {
                long at10 = parseRss(rss.get(1));
                long last = parseRss(rss.get(rss.size() - 1));
                assertTrue(last <= at10 * 11 / 10, "RSS keeps growing: " + rss);
            }
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
        assertEquals("", Files.readString(stderr), "zero errors");
    }

    interface Work {
        long run() throws Exception;
    }

    private static CompletableFuture<Long> run(Work w) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                f.complete(w.run());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Short connections: connect, 100 bytes, half-close, read all, close (RST after the server's close). */
    private static long churn(InetSocketAddress addr, long deadline) throws Exception {
        long n = 0;
        byte[] msg = new byte[100];
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.setSoTimeout(20000);
                s.connect(addr, 20000);
                Arrays.fill(msg, (byte) n);
                s.getOutputStream().write(msg);
                s.shutdownOutput();
                byte[] back = s.getInputStream().readAllBytes();
                assertTrue(Arrays.equals(msg, back), "churn echo");
                s.setSoLinger(true, 0);
            }
            n++;
        }
        return n;
    }

    /** A long-lived stream: 16 KiB writes, each read back and compared, until the deadline. */
    private static long stream(InetSocketAddress addr, long deadline, long seed) throws Exception {
        long n = 0;
        try (Socket s = new Socket()) {
            s.setSoTimeout(20000);
            s.connect(addr, 20000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            Random r = new Random(seed);
            byte[] chunk = new byte[16 * 1024];
            while (System.nanoTime() < deadline) {
                r.nextBytes(chunk);
                out.write(chunk);
                assertTrue(Arrays.equals(chunk, in.readNBytes(chunk.length)), "stream echo");
                n++;
            }
        }
        return n;
    }

    /** 64-byte round trips on one connection, timed. */
    private static long ping(InetSocketAddress addr, long deadline, List<Long> rtt) throws Exception {
        long n = 0;
        try (Socket s = new Socket()) {
            s.setSoTimeout(20000);
            s.setTcpNoDelay(true);
            s.connect(addr, 20000);
            byte[] msg = new byte[64];
            while (System.nanoTime() < deadline) {
                Arrays.fill(msg, (byte) n);
                long t0 = System.nanoTime();
                s.getOutputStream().write(msg);
                byte[] back = s.getInputStream().readNBytes(64);
                rtt.add(System.nanoTime() - t0);
                assertTrue(Arrays.equals(msg, back), "ping echo");
                n++;
                Thread.sleep(0, 500_000);
            }
        }
        return n;
    }

    private static long parseRss(String sample) {
        return Long.parseLong(sample.substring(sample.indexOf(':') + 1, sample.indexOf("KiB")));
    }
}
