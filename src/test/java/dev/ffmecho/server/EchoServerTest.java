package dev.ffmecho.server;

import dev.ffmecho.net.Profile;
import dev.ffmecho.net.Resolver;
import dev.ffmecho.net.TCPAddr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The study program's behaviour on real loopback sockets, with a plain java.net client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoServerTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private Profile profile = Profile.GO1_6;
    private EchoServer.Mode mode = EchoServer.Mode.SEQUENTIAL;
    private Serving running;

    /** Starts a server on {@code listen} (port 0) and returns the port it bound. */
    private int start(String listen, boolean quiet) throws Exception {
        return start(listen, quiet, 0);
    }

    private int start(String listen, boolean quiet, int maxConns) throws Exception {
        TCPAddr laddr = Resolver.resolveTCPAddr(listen);
        running = Serving.start(new EchoServer(profile, mode, laddr, maxConns, quiet,
                new PrintStream(stdout, true), new PrintStream(stderr, true)));
        return running.port;
    }

    @AfterEach
    void stop() throws Exception {
        if (running != null) running.stopAndAwait(10);
    }

    /** Sends {@code payload} in one go from a writer thread (so a large one cannot deadlock), then half-closes and reads all. */
    private static byte[] echo(String host, int port, byte[] payload) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(20000);
            OutputStream out = s.getOutputStream();
            CompletableFuture<Void> writer = new CompletableFuture<>();
            Thread.ofPlatform().name("client-writer").start(() -> {
                try {
                    out.write(payload);
                    s.shutdownOutput();
                    writer.complete(null);
                } catch (IOException e) {
                    writer.completeExceptionally(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] got = in.readAllBytes();
            writer.get(20, TimeUnit.SECONDS);
            return got;
        }
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    /** go1.6 copies with read/write, go1.19 and go1.23 with splice through a pipe (4 MiB / 1 MiB per call): all byte-exact. */
    @ParameterizedTest(name = "{1} bytes, {0}")
    @CsvSource({"GO1_6, 1", "GO1_6, 65536", "GO1_6, 8388608", "GO1_19, 1", "GO1_19, 65536", "GO1_19, 8388608", "GO1_23, 1", "GO1_23, 8388608"})
    void echoesPayloadsByteExact(Profile profile, int size) throws Exception {
        this.profile = profile;
        int port = start("127.0.0.1:0", true);
        byte[] payload = random(size);
        assertArrayEquals(payload, echo("127.0.0.1", port, payload));
    }

    @ParameterizedTest(name = "listen {0}, connect {1}")
    @CsvSource({
            "127.0.0.1:0, 127.0.0.1",
            "[::1]:0, ::1",
            ":0, 127.0.0.1",
            ":0, ::1",
    })
    void servesIPv4IPv6AndDualStackListeners(String listen, String connect) throws Exception {
        int port = start(listen, true);
        byte[] payload = "hello over %s".formatted(connect).getBytes();
        assertArrayEquals(payload, echo(connect, port, payload));
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void servesConnectionsOneAfterAnotherAndPrintsADotForEach(Profile profile) throws Exception {
        this.profile = profile;
        int port = start(":0", false);
        for (int i = 0; i < 5; i++) {
            byte[] payload = ("conn " + i).getBytes();
            assertArrayEquals(payload, echo("127.0.0.1", port, payload));
        }
        assertEquals(".....", stdout.toString());
        assertEquals("", stderr.toString());
    }

    @Test
    void aClientThatConnectsAndClosesWithoutSendingDoesNotDisturbTheNext() throws Exception {
        int port = start("127.0.0.1:0", true);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.shutdownOutput();
            assertEquals(-1, s.getInputStream().read());
        }
        assertArrayEquals("next".getBytes(), echo("127.0.0.1", port, "next".getBytes()));
    }

    @Test
    void stopWakesAnAcceptBlockedInEpollWait() throws Exception {
        start("127.0.0.1:0", true);
        Thread.sleep(200); // let the server reach epoll_wait(…, -1)
        running.stopAndAwait(5);
        running = null;
    }

    @Test
    void stopLetsTheConnectionInProgressFinish() throws Exception {
        int port = start("127.0.0.1:0", true);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10000);
            s.getOutputStream().write("before".getBytes());
            assertArrayEquals("before".getBytes(), s.getInputStream().readNBytes(6));
            running.server.stop();
            // Still served during the drain period.
            s.getOutputStream().write("during".getBytes());
            assertArrayEquals("during".getBytes(), s.getInputStream().readNBytes(6));
            // After the drain period the server stops reading and closes: we see EOF.
            long t0 = System.nanoTime();
            assertEquals(-1, s.getInputStream().read());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));
        }
        running.awaitEnd(10);
        running = null;
    }

    /** Go's concurrent shape: 100 clients at once, each 64 KiB in both directions, byte-exact. */
    @ParameterizedTest
    @EnumSource(Profile.class)
    void goroutineModeServesAHundredConcurrentClientsByteExact(Profile profile) throws Exception {
        this.profile = profile;
        this.mode = EchoServer.Mode.GOROUTINE;
        int port = start(":0", true);
        int clients = 100;
        java.util.List<CompletableFuture<Void>> done = new java.util.ArrayList<>();
        for (int i = 0; i < clients; i++) {
            byte[] payload = random(64 * 1024 + i);
            String host = i % 2 == 0 ? "127.0.0.1" : "::1";
            CompletableFuture<Void> f = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    assertArrayEquals(payload, echo(host, port, payload));
                    f.complete(null);
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
            done.add(f);
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        assertEquals("", stderr.toString());
    }

    @Test
    void goroutineModeKeepsServingWhileOneClientIsSilent() throws Exception {
        mode = EchoServer.Mode.GOROUTINE;
        int port = start("127.0.0.1:0", true);
        try (Socket silent = new Socket("127.0.0.1", port)) {
            // A connection that sends nothing holds its handler parked, not the server.
            assertArrayEquals("others".getBytes(), echo("127.0.0.1", port, "others".getBytes()));
        }
    }

    @Test
    void maxConnsClosesConnectionsBeyondTheLimit() throws Exception {
        mode = EchoServer.Mode.GOROUTINE;
        int port = start("127.0.0.1:0", true, 1);
        try (Socket first = new Socket("127.0.0.1", port); Socket second = new Socket("127.0.0.1", port)) {
            first.setSoTimeout(5000);
            second.setSoTimeout(5000);
            first.getOutputStream().write("one".getBytes());
            assertArrayEquals("one".getBytes(), first.getInputStream().readNBytes(3));
            assertEquals(-1, second.getInputStream().read(), "the second connection is closed at once");
            first.shutdownOutput();
            assertEquals(-1, first.getInputStream().read(), "the server closed the first: it is no longer counted");
        }
        // Once the first is done, a new one is served again.
        assertArrayEquals("again".getBytes(), echo("127.0.0.1", port, "again".getBytes()));
    }

    @Test
    void goroutineModeStopDrainsEveryConnection() throws Exception {
        mode = EchoServer.Mode.GOROUTINE;
        int port = start("127.0.0.1:0", true);
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
            for (Socket s : new Socket[] {a, b}) {
                s.setSoTimeout(10000);
                s.getOutputStream().write("x".getBytes());
                assertEquals('x', s.getInputStream().read());
            }
            running.server.stop();
            assertEquals(-1, a.getInputStream().read());
            assertEquals(-1, b.getInputStream().read());
        }
        running.awaitEnd(10);
        running = null;
    }
}
