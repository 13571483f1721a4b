package dev.ffmecho.server;

import dev.ffmecho.Tools;
import dev.ffmecho.loop.Io;
import dev.ffmecho.loop.Trigger;
import dev.ffmecho.net.Profile;
import dev.ffmecho.net.Resolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a real network does to an echo server: large and many streams
 * byte-exact, resets and half-finished messages — in every mode, with loopback clients bounded in
 * count and time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReliabilityTest {
    /** The modes × profiles worth covering: read/write (go1.6) and splice (go1.19) copies, all shapes. */
    enum Setup {
        SEQUENTIAL_GO16(EchoServer.Mode.SEQUENTIAL, Profile.GO1_6, null),
        SEQUENTIAL_GO119(EchoServer.Mode.SEQUENTIAL, Profile.GO1_19, null),
        GOROUTINE_GO16(EchoServer.Mode.GOROUTINE, Profile.GO1_6, null),
        GOROUTINE_GO119(EchoServer.Mode.GOROUTINE, Profile.GO1_19, null),
        EVENTLOOP_1(null, Profile.GO1_6, new EventLoopServer.Tuning(1, Io.EPOLL, Trigger.LEVEL, EventLoopServer.Acceptor.REUSEPORT)),
        EVENTLOOP_2(null, Profile.GO1_6, new EventLoopServer.Tuning(2, Io.EPOLL, Trigger.LEVEL, EventLoopServer.Acceptor.REUSEPORT)),
        EVENTLOOP_1_EDGE(null, Profile.GO1_6, new EventLoopServer.Tuning(1, Io.EPOLL, Trigger.EDGE, EventLoopServer.Acceptor.REUSEPORT)),
        EVENTLOOP_3_EDGE_SINGLE(null, Profile.GO1_6, new EventLoopServer.Tuning(3, Io.EPOLL, Trigger.EDGE, EventLoopServer.Acceptor.SINGLE)),
        EVENTLOOP_2_LEVEL_SINGLE(null, Profile.GO1_6, new EventLoopServer.Tuning(2, Io.EPOLL, Trigger.LEVEL, EventLoopServer.Acceptor.SINGLE)),
        IO_URING_1(null, Profile.GO1_6, new EventLoopServer.Tuning(1, Io.IO_URING, Trigger.LEVEL, EventLoopServer.Acceptor.REUSEPORT)),
        IO_URING_2(null, Profile.GO1_6, new EventLoopServer.Tuning(2, Io.IO_URING, Trigger.LEVEL, EventLoopServer.Acceptor.REUSEPORT)),
        IO_URING_3_SINGLE(null, Profile.GO1_6, new EventLoopServer.Tuning(3, Io.IO_URING, Trigger.LEVEL, EventLoopServer.Acceptor.SINGLE));

        final EchoServer.Mode mode; // null: the event loop
        final Profile profile;
        final EventLoopServer.Tuning tuning;

        Setup(EchoServer.Mode mode, Profile profile, EventLoopServer.Tuning tuning) {
            this.mode = mode;
            this.profile = profile;
            this.tuning = tuning;
        }

        Server create(PrintStream out, PrintStream err) throws Exception {
            var laddr = Resolver.resolveTCPAddr("127.0.0.1:0");
            return mode == null
                    ? new EventLoopServer(profile, laddr, tuning, 0, true, out, err)
                    : new EchoServer(profile, mode, laddr, 0, true, out, err);
        }
    }

    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private Serving running;

    private int start(Setup setup) throws Exception {
        running = Serving.start(setup.create(new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(stderr, true)));
        return running.port;
    }

    @AfterEach
    void stop() throws Exception {
        running.stopAndAwait(15);
    }

    /**
     * Streams {@code total} pseudo-random bytes in writes of random sizes (1 B to 256 KiB) while
     * another thread reads the echo; returns whether the SHA-256 of what came back equals what went.
     */
    private static boolean streamAndCompare(int port, long total, long seed) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30000);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            CompletableFuture<Void> writer = new CompletableFuture<>();
            Thread.ofPlatform().name("writer").start(() -> {
                try {
                    Random r = new Random(seed);
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[256 * 1024];
                    long left = total;
                    while (left > 0) {
                        int n = (int) Math.min(left, 1 + r.nextInt(chunk.length));
                        r.nextBytes(chunk);
                        out.write(chunk, 0, n);
                        sent.update(chunk, 0, n);
                        left -= n;
                    }
                    s.shutdownOutput();
                    writer.complete(null);
                } catch (Throwable e) {
                    writer.completeExceptionally(e);
                }
            });
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long received = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
                received += n;
            }
            writer.get(30, TimeUnit.SECONDS);
            assertEquals(total, received, "bytes echoed");
            return Arrays.equals(sent.digest(), got.digest());
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void echoes256MiBThroughOneConnectionByteExactWithRandomWriteSizes(Setup setup) throws Exception {
        int port = start(setup);
        assertTrue(streamAndCompare(port, 256L << 20, 7), "SHA-256 of the echo equals the input");
    }

    @ParameterizedTest
    @EnumSource(value = Setup.class, names = {"GOROUTINE_GO16", "GOROUTINE_GO119", "EVENTLOOP_1", "EVENTLOOP_2", "EVENTLOOP_1_EDGE",
            "EVENTLOOP_3_EDGE_SINGLE", "EVENTLOOP_2_LEVEL_SINGLE", "IO_URING_1", "IO_URING_2", "IO_URING_3_SINGLE"})
    void fiftyConcurrentConnectionsOf4MiBEachAreChecksummed(Setup setup) throws Exception {
        int port = start(setup);
        streamConcurrently(port, 50, 4L << 20);
        assertEquals("", stderr.toString());
    }

    /** The event loop's bar: 200 clients at once, random write sizes, each echo byte-exact. */
    @ParameterizedTest
    @EnumSource(value = Setup.class, names = {"GOROUTINE_GO16", "EVENTLOOP_1", "EVENTLOOP_2", "EVENTLOOP_1_EDGE",
            "EVENTLOOP_3_EDGE_SINGLE", "EVENTLOOP_2_LEVEL_SINGLE", "IO_URING_1", "IO_URING_3_SINGLE"})
    void twoHundredConcurrentClientsAreEachEchoedByteExact(Setup setup) throws Exception {
        int port = start(setup);
        streamConcurrently(port, 200, 512L << 10);
        assertEquals("", stderr.toString());
    }

    /** 2 000 connections open at once, each echoed while all the others stay open. */
    @ParameterizedTest
    @EnumSource(value = Setup.class, names = {"GOROUTINE_GO16", "EVENTLOOP_1", "EVENTLOOP_1_EDGE", "EVENTLOOP_3_EDGE_SINGLE",
            "EVENTLOOP_2_LEVEL_SINGLE", "IO_URING_1"})
    void twoThousandOpenConnectionsAreAllServed(Setup setup) throws Exception {
        int port = start(setup);
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(20000);
                open.add(s);
                s.getOutputStream().write(("conn " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < open.size(); i++) {
                byte[] want = ("conn " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(want, open.get(i).getInputStream().readNBytes(want.length), "echo of connection " + i);
            }
        } finally {
            for (Socket s : open) s.close();
        }
        assertEquals("", stderr.toString());
    }

    /**
     * One loop, one client streaming as fast as loopback goes: another client's pings are still
     * answered while it streams (the loop serves every ready connection per turn, not one to its end).
     */
    @ParameterizedTest
    @EnumSource(value = Setup.class, names = {"EVENTLOOP_1", "EVENTLOOP_1_EDGE", "IO_URING_1"})
    void aFirehoseClientDoesNotStarveAnotherOnTheSameLoop(Setup setup) throws Exception {
        int port = start(setup);
        CompletableFuture<Boolean> firehose = CompletableFuture.supplyAsync(() -> {
            try {
                return streamAndCompare(port, 512L << 20, 11);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, command -> Thread.ofPlatform().start(command));
        try (Socket ping = new Socket("127.0.0.1", port)) {
            ping.setSoTimeout(20000);
            Thread.sleep(200); // the firehose is flowing
            for (int i = 0; i < 20; i++) {
                ping.getOutputStream().write(i);
                assertEquals(i, ping.getInputStream().read(), "ping " + i);
            }
            assertTrue(!firehose.isDone(), "the pings were answered while the firehose still ran");
        }
        assertTrue(firehose.get(90, TimeUnit.SECONDS), "the firehose's echo is byte-exact");
    }

    /** {@code clients} connections at once, each streaming {@code bytes} and checking the SHA-256 of its echo. */
    private static void streamConcurrently(int port, int clients, long bytes) throws Exception {
        List<CompletableFuture<Boolean>> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            long seed = i;
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    f.complete(streamAndCompare(port, bytes, seed));
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
            all.add(f);
        }
        for (int i = 0; i < clients; i++) assertTrue(all.get(i).get(90, TimeUnit.SECONDS), "client " + i + "'s echo is byte-exact");
    }

    /** A client that resets mid-stream (SO_LINGER 0) costs that conn only, reported once; the next is served. */
    @ParameterizedTest
    @EnumSource(Setup.class)
    void aResetMidStreamDropsThatConnectionOnlyAndIsReportedOnce(Setup setup) throws Exception {
        int port = start(setup);
        try (Socket rude = new Socket("127.0.0.1", port)) {
            rude.setSoTimeout(10000);
            byte[] big = new byte[8 << 20]; // more than the socket buffers hold: the server is mid-write
            CompletableFuture<Void> pushing = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    rude.getOutputStream().write(big);
                } catch (Exception expected) {
                    // the reset below ends this write
                } finally {
                    pushing.complete(null);
                }
            });
            assertTrue(rude.getInputStream().readNBytes(1024).length == 1024, "the echo has started");
            rude.setSoLinger(true, 0); // close() now sends RST
        }
        assertTrue(streamAndCompare(port, 1 << 20, 3), "the next client is served byte-exact");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stderr.toString().isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        List<String> lines = stderr.toString().lines().toList();
        assertEquals(1, lines.size(), "reported once: " + lines);
        assertTrue(lines.get(0).matches("ffm-echo: connection (from .*|fd \\d+ \\(loop \\d+\\)): (read|write|splice|recv|send): (ECONNRESET|EPIPE) .*"), lines.get(0));
    }

    /** EOF in the middle of what the client meant as a message: what arrived is echoed, then the conn closes. */
    @ParameterizedTest
    @EnumSource(Setup.class)
    void eofMidMessageEchoesWhatArrivedThenCloses(Setup setup) throws Exception {
        int port = start(setup);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10000);
            s.getOutputStream().write("half a mess".getBytes());
            s.shutdownOutput();
            assertArrayEquals("half a mess".getBytes(), s.getInputStream().readAllBytes());
        }
    }

    /**
     * A client half-closes right after 8 MiB it is not yet reading, so the server is backpressured
     * when the FIN is sent: once the client reads, every byte comes back, then EOF. (Whether the
     * FIN reaches the server while it is not reading depends on the windows; the rule that makes
     * that case safe, edge-triggered, is in EpollBackend.onEvent; with io_uring the recv's EOF completion waits behind the queued sends.)
     */
    @ParameterizedTest
    @EnumSource(Setup.class)
    void aCloseThatArrivesWhileBackpressuredStillEndsTheEcho(Setup setup) throws Exception {
        int port = start(setup);
        byte[] sent = new byte[8 << 20];
        new Random(5).nextBytes(sent);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20000);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(sent); // stalls once both directions' buffers are full
                    s.shutdownOutput();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, command -> Thread.ofPlatform().start(command));
            Thread.sleep(300); // the server is backpressured: its write is partial, it stopped reading
            byte[] echoed = s.getInputStream().readAllBytes(); // to EOF; SO_TIMEOUT if EOF never comes
            writer.get(20, TimeUnit.SECONDS);
            assertArrayEquals(sent, echoed);
        }
    }

    /**
     * A client that sends 64 MiB without reading: the server's write parks on EAGAIN, so it stops
     * reading that conn — what it holds for it is bounded by one copy buffer (32 KiB, go1.6) or one
     * splice pipe (64 KiB, go1.19) plus the kernel's socket buffers — and in goroutine mode other
     * connections are served meanwhile. When the client reads, every byte arrives, in order.
     */
    @ParameterizedTest
    @EnumSource(value = Setup.class, names = {"GOROUTINE_GO16", "GOROUTINE_GO119", "EVENTLOOP_1", "EVENTLOOP_2", "EVENTLOOP_1_EDGE",
            "EVENTLOOP_3_EDGE_SINGLE", "EVENTLOOP_2_LEVEL_SINGLE", "IO_URING_1", "IO_URING_2"})
    void aSlowReaderIsBackpressuredWhileOthersAreServed(Setup setup) throws Exception {
        int port = start(setup);
        long total = 64L << 20;
        try (Socket slow = new Socket("127.0.0.1", port)) {
            slow.setSoTimeout(30000);
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = Tools.writeRandom(slow, total, 64, sent, written);
            // The writer stalls: the server stopped reading because nobody reads its echo.
            long stalled = Tools.awaitStall(written);
            assertTrue(stalled > 0 && stalled < total, "the writer is held back, after " + stalled + " bytes");
            // Other clients are served at once.
            for (int i = 0; i < 5; i++) assertTrue(streamAndCompare(port, 64 * 1024, 100 + i), "another conn is served");
            // Now read: everything arrives, in order.
            MessageDigest got = MessageDigest.getInstance("SHA-256");
            InputStream in = slow.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long received = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
                received += n;
            }
            writer.get(30, TimeUnit.SECONDS);
            assertEquals(total, received);
            assertTrue(Arrays.equals(sent.digest(), got.digest()), "byte-exact, in order");
        }
    }
}
