package dev.ffmecho;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * External tools the fidelity tests need (gcc, strace). In CI ({@code CI=true}) a missing tool is a
 * failure — CI must prove fidelity, not skip it; on a user's machine the test is skipped with a
 * message saying what to install.
 */
public final class Tools {
    private Tools() {}

    /** The absolute path of {@code tool} on PATH; fails (CI) or skips (elsewhere) when absent. */
    public static String require(String tool, String why) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, tool);
            if (f.canExecute()) return f.getAbsolutePath();
        }
        missing(tool + " is not installed; it is needed to " + why + " (apt-get install " + tool + ")");
        return null;
    }

    /** Something a test needs is absent: a failure in CI, which must prove everything; a skip elsewhere. */
    public static void missing(String why) {
        if ("true".equals(System.getenv("CI"))) fail(why);
        Assumptions.abort(why);
    }

    /** A process's resident set size, from /proc/PID/status. */
    public static long rssKiB(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D+", ""));
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    /**
     * Waits (up to 10 s, sampling every 100 ms) for a writer's byte count to stop growing: a
     * stalled writer, i.e. backpressure. Returns the count it stalled at, or -1 if it never did.
     */
    public static long awaitStall(AtomicLong written) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            long a = written.get();
            Thread.sleep(100);
            if (a > 0 && written.get() == a) return a;
        }
        return -1;
    }

    /**
     * Starts a platform thread that writes {@code total} random bytes (seeded) to {@code socket} in
     * 16 KiB chunks, digesting them into {@code sent} and counting them in {@code written}, then
     * half-closes: the client of a backpressure test, which does not read meanwhile.
     */
    public static java.util.concurrent.CompletableFuture<Void> writeRandom(java.net.Socket socket, long total, long seed,
                                                                          java.security.MessageDigest sent, AtomicLong written) {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().name("random-writer").start(() -> {
            try {
                java.util.Random r = new java.util.Random(seed);
                byte[] chunk = new byte[16 * 1024];
                java.io.OutputStream out = socket.getOutputStream();
                for (long left = total; left > 0; left -= chunk.length) {
                    r.nextBytes(chunk);
                    out.write(chunk);
                    sent.update(chunk);
                    written.addAndGet(chunk.length);
                }
                socket.shutdownOutput();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }
}
