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
class SequentialServerTest {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private Profile profile = Profile.GO1_6;
    private SequentialServer server;
    private CompletableFuture<Void> serving;

    /** Starts a server on {@code listen} (port 0) and returns the port it bound. */
    private int start(String listen, boolean quiet) throws Exception {
        TCPAddr laddr = Resolver.resolveTCPAddr(listen);
        server = new SequentialServer(profile, laddr, quiet, new PrintStream(stdout, true), new PrintStream(stderr, true));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        serving = new CompletableFuture<>();
        // Own threads, not the common pool: on 2 cores it has one worker, which the server would hog.
        Thread.ofPlatform().name("sequential-server").start(() -> {
            try {
                server.serve(bound -> port.complete(bound.port()));
                serving.complete(null);
            } catch (Throwable e) {
                port.completeExceptionally(e);
                serving.completeExceptionally(e);
            }
        });
        return port.get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
            assertNull(serving.get(10, TimeUnit.SECONDS), "serve() returns normally after stop()");
        }
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

    /** go1.6 copies with read/write, go1.19 with splice through a pipe: both byte-exact. */
    @ParameterizedTest(name = "{1} bytes, {0}")
    @CsvSource({"GO1_6, 1", "GO1_6, 65536", "GO1_6, 8388608", "GO1_19, 1", "GO1_19, 65536", "GO1_19, 8388608"})
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
        server.stop();
        assertNull(serving.get(5, TimeUnit.SECONDS));
        server = null;
    }

    @Test
    void stopLetsTheConnectionInProgressFinish() throws Exception {
        int port = start("127.0.0.1:0", true);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10000);
            s.getOutputStream().write("before".getBytes());
            assertArrayEquals("before".getBytes(), s.getInputStream().readNBytes(6));
            server.stop();
            // Still served during the drain period.
            s.getOutputStream().write("during".getBytes());
            assertArrayEquals("during".getBytes(), s.getInputStream().readNBytes(6));
            // After the drain period the server stops reading and closes: we see EOF.
            long t0 = System.nanoTime();
            assertEquals(-1, s.getInputStream().read());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));
        }
        assertNull(serving.get(10, TimeUnit.SECONDS));
        server = null;
    }
}
