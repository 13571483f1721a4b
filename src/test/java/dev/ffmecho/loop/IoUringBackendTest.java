package dev.ffmecho.loop;

import dev.ffmecho.Tools;
import dev.ffmecho.net.Profile;
import dev.ffmecho.net.Resolver;
import dev.ffmecho.net.TCPListener;
import dev.ffmecho.net.TCPConn;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.Unistd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The io_uring backend's backpressure on a ring small enough to run dry: 4 provided buffers of
 * 4 KiB. A client that writes without reading takes every buffer, the recv ends with ENOBUFS, and
 * the writer stalls on full socket buffers; once it reads, buffers come back, the recv is re-armed,
 * and every byte arrives, in order. The backend's turns run on the test's own thread (a backend is
 * confined to one), the client on another.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoUringBackendTest {

    /** What the backend reported. */
    private static final class Recorded implements Backend.Events {
        final List<Integer> accepted = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        int closed;

        @Override public void accepted(int fd) { accepted.add(fd); }
        @Override public boolean acceptFailed(int errno) { failures.add("accept4: " + Errno.name(errno)); return true; }
        @Override public void woken() { }
        @Override public void failed(int fd, String call, int errno) { failures.add(call + ": " + Errno.name(errno)); }
        @Override public void closed(int fd) { closed++; }
    }

    @Test
    void aRingThatRunsDryStallsTheWriterAndRecoversWhenItReads() throws Exception {
        long total = 32L << 20; // more than the kernel's socket buffers on both sides hold
        int wakeFd = Errno.check("eventfd2", Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK));
        Recorded events = new Recorded();
        try (TCPListener ln = TCPListener.listenReusePort(Profile.GO1_19, Resolver.resolveTCPAddr("127.0.0.1:0"));
             IoUringBackend backend = new IoUringBackend(wakeFd, events, 4, 4096);
             Socket client = new Socket("127.0.0.1", ln.addr().port())) {
            backend.armAccept(ln.sysfd());
            while (events.accepted.isEmpty()) backend.poll(1000);
            int fd = events.accepted.get(0);
            TCPConn.setNoDelay(fd);
            backend.add(fd);

            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = Tools.writeRandom(client, total, 7, sent, written);

            // Nobody reads the echo: turns until the writer has been stuck for a while.
            long last = -1;
            int still = 0;
            for (int turn = 0; turn < 2000 && still < 20; turn++) {
                backend.poll(10);
                long now = written.get();
                still = now == last ? still + 1 : 0;
                last = now;
            }
            assertTrue(last > 0 && last < total, "the writer stalls, after " + last + " of " + total + " bytes");
            assertEquals(1, backend.connections());

            // Now read, while the loop turns: every byte comes back, in order, and the conn closes at EOF.
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            AtomicLong received = new AtomicLong();
            CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                try {
                    InputStream in = client.getInputStream();
                    byte[] buf = new byte[64 * 1024];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        got.update(buf, 0, n);
                        received.addAndGet(n);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, command -> Thread.ofPlatform().start(command));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (backend.connections() > 0 && System.nanoTime() < deadline) backend.poll(10);
            assertEquals(0, backend.connections(), "the echo ended within 30 s once the client read (the starved recv was re-armed); "
                    + received.get() + " of " + total + " bytes came back");
            writer.get(10, TimeUnit.SECONDS);
            reader.get(10, TimeUnit.SECONDS);
            assertEquals(total, received.get(), "every byte echoed");
            assertArrayEquals(sent.digest(), got.digest(), "byte-exact, in order");
            assertEquals(1, events.closed);
            assertEquals(List.of(), events.failures);
        } finally {
            Unistd.close(wakeFd);
        }
    }
}
