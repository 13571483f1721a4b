package dev.ffmecho.it;

import dev.ffmecho.Tools;
import org.junit.jupiter.api.Test;
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
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many connections at once, and signals landing in system calls, against the real jar. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StressIT {
    @TempDir
    Path dir;

    /** 10 000 connections open at the same time, each echoing, then all closed; the server stays clean. */
    @ParameterizedTest
    @ValueSource(strings = {"eventloop", "eventloop --io io_uring", "goroutine"})
    void tenThousandConcurrentConnections(String mode) throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.command(Jar.modeArgs(mode, "--listen", "127.0.0.1:" + port, "--quiet")))
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        List<Socket> clients = new ArrayList<>();
        try {
            CliIT.awaitListening(port);
            InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
            for (int i = 0; i < 10_000; i++) {
                Socket s = new Socket();
                s.setSoTimeout(20000);
                s.connect(addr, 20000);
                s.getOutputStream().write(i);
                clients.add(s);
            }
            for (int i = 0; i < clients.size(); i++) assertEquals(i & 0xff, clients.get(i).getInputStream().read(), "client " + i);
            assertTrue(server.isAlive());
        } finally {
            for (Socket s : clients) {
                s.setSoLinger(true, 0);
                s.close();
            }
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
    }

    /**
     * Goroutine mode on one carrier thread (one CPU's worth of virtual-thread scheduler): every one
     * of 64 pipelining connections is served. A virtual thread blocked in epoll_wait would hold the
     * only carrier and starve all but one connection (seen pinned with taskset; the idle M fixed it).
     */
    @Test
    void goroutineModeServesEveryConnectionOnOneCarrier() throws Exception {
        int port = Jar.freePort();
        List<String> cmd = new ArrayList<>(Jar.command("--mode", "goroutine", "--listen", "127.0.0.1:" + port, "--quiet"));
        cmd.addAll(1, List.of("-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1"));
        Process server = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile()).start();
        try {
            echoPipelined(port, 64);
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
    }

    /**
     * --procs is goroutine mode's GOMAXPROCS: with 1, sixteen pipelining connections run on one
     * carrier thread (named ForkJoinPool-1-worker-N, "ForkJoinPool-1-" in /proc's 15-byte comm),
     * where the scheduler's default on this machine's CPUs starts more. Quiet, because printing each
     * "." is file I/O on the accept loop's virtual thread, for which the JDK adds a carrier while it
     * blocks, as Go's entersyscall hands its P to another M: GOMAXPROCS bounds the threads running
     * goroutines, not those blocked in system calls.
     */
    @Test
    void procsBoundsTheCarrierThreads() throws Exception {
        int port = Jar.freePort();
        Process server = new ProcessBuilder(Jar.command("--mode", "goroutine", "--procs", "1", "--listen", "127.0.0.1:" + port, "--quiet"))
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        long carriers;
        try {
            echoPipelined(port, 16);
            carriers = carrierThreads(server.pid());
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
        assertEquals(1, carriers, "virtual threads ran on one carrier");
    }

    /**
     * {@code conns} connections to the server on {@code port}, each with 16 messages of 64 B in flight
     * at once, for 20 rounds; every echo checked in full.
     */
    private static void echoPipelined(int port, int conns) throws Exception {
        CliIT.awaitListening(port);
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < conns; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(10000);
                s.setTcpNoDelay(true);
                clients.add(s);
            }
            byte[] message = new byte[64];
            for (int round = 0; round < 20; round++) {
                for (int c = 0; c < clients.size(); c++) {
                    Arrays.fill(message, (byte) (round * 64 + c));
                    for (int depth = 0; depth < 16; depth++) clients.get(c).getOutputStream().write(message);
                }
                for (int c = 0; c < clients.size(); c++) {
                    byte[] echo = clients.get(c).getInputStream().readNBytes(16 * message.length);
                    byte[] want = new byte[16 * message.length];
                    Arrays.fill(want, (byte) (round * 64 + c));
                    assertTrue(Arrays.equals(want, echo), "round " + round + ", connection " + c + " echoed in full");
                }
            }
        } finally {
            for (Socket s : clients) s.close();
        }
    }

    /** The virtual-thread scheduler's carrier threads of process {@code pid}, by their names. */
    private static long carrierThreads(long pid) throws java.io.IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.filter(t -> {
                try {
                    return Files.readString(t.resolve("comm")).startsWith("ForkJoinPool-1-");
                } catch (java.io.IOException e) {
                    return false; // the thread ended
                }
            }).count();
        }
    }

    /**
     * A client that sends 64 MiB without reading: the server must stop reading it, not buffer it —
     * its RSS may grow by the connection's socket buffers' worth at most, not by the 64 MiB.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sequential", "goroutine", "eventloop", "eventloop --io io_uring"})
    void aSlowReaderDoesNotGrowTheServersMemory(String mode) throws Exception {
        int port = Jar.freePort();
        List<String> cmd = new ArrayList<>(Jar.command(Jar.modeArgs(mode, "--listen", "127.0.0.1:" + port, "--quiet")));
        cmd.addAll(1, List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch")); // RSS moves only with native growth
        Process server = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile()).start();
        try (Socket slow = new Socket()) {
            CliIT.awaitListening(port);
            slow.connect(new InetSocketAddress("127.0.0.1", port), 10000);
            slow.setSoTimeout(30000);
            long before = Tools.rssKiB(server.pid());
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = new CompletableFuture<>();
            Thread.ofPlatform().name("slow-writer").start(() -> {
                try {
                    byte[] chunk = new byte[64 * 1024];
                    OutputStream out = slow.getOutputStream();
                    for (int i = 0; i < 1024; i++) { // 64 MiB
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    writer.complete(null);
                } catch (Throwable e) {
                    writer.completeExceptionally(e);
                }
            });
            long stalledAt = Tools.awaitStall(written);
            long after = Tools.rssKiB(server.pid());
            assertTrue(stalledAt > 0 && stalledAt < 64L << 20, mode + ": the writer stalls, after " + stalledAt + " bytes");
            assertTrue(after - before < 16 * 1024, mode + ": RSS grew " + (after - before) + " KiB while "
                    + (stalledAt >> 10) + " KiB were sent and not read back");
            // SIGTERM while the client still neither reads nor closes: the drain period ends it anyway.
            server.toHandle().destroy();
            assertTrue(server.waitFor(10, TimeUnit.SECONDS), mode + ": a client that never reads cannot hold the server past its drain");
        } finally {
            server.toHandle().destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue());
    }

    private static final int SIGPIPE = 13;
    private static final java.lang.invoke.MethodHandle TGKILL = java.lang.foreign.Linker.nativeLinker().downcallHandle(
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("tgkill").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT,
                    java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT));

    /** Signals every thread of {@code pid} that is inside epoll_wait/epoll_pwait right now; returns how many. */
    private static int signalThreadsInEpollWait(long pid) throws Throwable {
        int hit = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String nr;
                try {
                    nr = Files.readString(task.resolve("syscall")).split(" ")[0];
                } catch (java.io.IOException gone) {
                    continue;
                }
                if (nr.equals("232") || nr.equals("281")) {
                    int tid = Integer.parseInt(task.getFileName().toString());
                    if ((int) TGKILL.invokeExact((int) pid, tid, SIGPIPE) == 0) hit++;
                }
            }
        }
        return hit;
    }

    /**
     * A storm of signals aimed at the threads blocked in epoll_wait, during an 8 MiB echo under
     * strace. SIGPIPE, because HotSpot installs a handler for it that ignores it: each one
     * interrupts the wait, which returns EINTR no matter SA_RESTART (epoll_wait(2)); the netpoller
     * must retry, and the echo must be byte-exact.
     */
    @Test
    void aSignalStormInterruptsSystemCallsWhichAreRetried() throws Exception {
        Tools.require("strace", "see the EINTRs the storm causes");
        try (StracedServer server = StracedServer.start(dir, "127.0.0.1")) {
            long total = 8 << 20;
            CompletableFuture<Integer> storm = new CompletableFuture<>();
            Thread.ofPlatform().name("signal-storm").start(() -> {
                int sent = 0;
                try {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (!storm.isDone() && sent < 3000 && System.nanoTime() < end) {
                        sent += signalThreadsInEpollWait(server.pid());
                        Thread.sleep(1);
                    }
                } catch (Throwable e) {
                    storm.completeExceptionally(e);
                }
                storm.complete(sent);
            });
            try (Socket s = new Socket("127.0.0.1", server.port)) {
                s.setSoTimeout(60000);
                MessageDigest sent = MessageDigest.getInstance("SHA-256");
                CompletableFuture<Void> writer = new CompletableFuture<>();
                Thread.ofPlatform().start(() -> {
                    try {
                        Random r = new Random(5);
                        OutputStream out = s.getOutputStream();
                        byte[] chunk = new byte[8192];
                        for (long left = total; left > 0; left -= chunk.length) {
                            r.nextBytes(chunk);
                            out.write(chunk);
                            sent.update(chunk);
                            Thread.sleep(0, 200_000); // let the server block in epoll_wait between pieces
                        }
                        s.shutdownOutput();
                        writer.complete(null);
                    } catch (Throwable e) {
                        writer.completeExceptionally(e);
                    }
                });
                MessageDigest got = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[65536];
                long received = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.update(buf, 0, n);
                    received += n;
                }
                writer.get(60, TimeUnit.SECONDS);
                assertEquals(total, received);
                assertTrue(Arrays.equals(sent.digest(), got.digest()), "byte-exact under the storm");
            } finally {
                storm.complete(-1);
            }
            StracedServer.assertCleanExit(server);
            long eintr = Files.readAllLines(server.trace).stream().filter(l -> l.contains("= -1 EINTR")).count();
            long signals = Files.readAllLines(server.trace).stream().filter(l -> l.contains("--- SIGPIPE")).count();
            assertTrue(signals > 10, "the storm reached the server: " + signals + " SIGPIPEs");
            assertTrue(eintr > 0, "some system call was interrupted (" + signals + " SIGPIPEs, " + eintr + " EINTRs)");
        }
    }
}
