package dev.ffmecho.verify;

import dev.ffmecho.sys.SyscallException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built-in client against a small echo server of the test's own (java.net, thread per
 * connection, on 127.0.0.1): each shape sends what it promises, in the order it promises, and
 * every wrong echo — a changed byte, a short echo — is caught and said where.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientRunTest {
    private TestEchoServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    void serialSendsHelloOnOneConnection() throws Exception {
        server = new TestEchoServer(UnaryOperator.identity());
        ClientRun.run(Clients.SERIAL, server.port());
        server.awaitClosed(1);
        assertEquals(1, server.received.size());
        assertArrayEquals("hello".getBytes(), server.received.getFirst());
    }

    @Test
    void backToBackSendsFiveThen70000ThenOneByteOnThreeConnectionsInTurn() throws Exception {
        server = new TestEchoServer(UnaryOperator.identity());
        ClientRun.run(Clients.BACK_TO_BACK, server.port());
        server.awaitClosed(3);
        assertEquals(List.of(5, 70_000, 1), server.received.stream().map(b -> b.length).toList(), "in accept order");
    }

    @Test
    void concurrentClientsAreAllConnectedAtOnceAndEachSends64x3Plus200000() throws Exception {
        server = new TestEchoServer(UnaryOperator.identity());
        ClientRun.run(Clients.concurrent(4), server.port());
        server.awaitClosed(4);
        assertEquals(4, server.mostOpenAtOnce.get(), "the clients connect before any of them starts talking");
        for (byte[] b : server.received) assertEquals(3 * 64 + 200_000, b.length);
        assertEquals(4, server.received.stream().map(java.util.Arrays::hashCode).distinct().count(), "each client sends its own bytes");
    }

    @Test
    void aChangedByteIsCaughtAndLocated() throws Exception {
        server = new TestEchoServer(chunk -> {
            byte[] bad = chunk.clone();
            if (bad.length > 3) bad[3] ^= 1;
            return bad;
        });
        IOException e = assertThrows(IOException.class, () -> ClientRun.run(Clients.BACK_TO_BACK, server.port()));
        assertTrue(e.getMessage().contains("the echo of 5 bytes differs from what was sent at byte 3"), e.getMessage());
    }

    @Test
    void aShortEchoIsCaught() throws Exception {
        server = new TestEchoServer(chunk -> java.util.Arrays.copyOf(chunk, Math.max(0, chunk.length - 1)), true);
        IOException e = assertThrows(IOException.class, () -> ClientRun.run(Clients.SERIAL, server.port()));
        assertTrue(e.getMessage().contains("the server closed the connection after echoing 4 of 5 bytes"), e.getMessage());
    }

    @Test
    void nobodyListeningIsConnectRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SyscallException e = assertThrows(SyscallException.class, () -> ClientRun.run(Clients.SERIAL, port));
        assertEquals("connect: ECONNREFUSED (Connection refused)", e.getMessage());
    }

    /**
     * Echoes each read through {@code transform}; records every connection's bytes in accept order
     * and the most connections open at once. With {@code closeAfterFirst} it closes after one echo.
     */
    static final class TestEchoServer implements AutoCloseable {
        final List<byte[]> received = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger mostOpenAtOnce = new AtomicInteger();
        private final AtomicInteger open = new AtomicInteger();
        private final AtomicInteger closed = new AtomicInteger();
        private final ServerSocket listener = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        private final UnaryOperator<byte[]> transform;
        private final boolean closeAfterFirst;

        TestEchoServer(UnaryOperator<byte[]> transform) throws IOException {
            this(transform, false);
        }

        TestEchoServer(UnaryOperator<byte[]> transform, boolean closeAfterFirst) throws IOException {
            this.transform = transform;
            this.closeAfterFirst = closeAfterFirst;
            Thread.ofPlatform().daemon().name("test-echo-accept").start(this::acceptLoop);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void acceptLoop() {
            try {
                while (true) {
                    Socket s = listener.accept();
                    mostOpenAtOnce.accumulateAndGet(open.incrementAndGet(), Math::max);
                    int index = received.size();
                    received.add(new byte[0]);
                    Thread.ofPlatform().daemon().name("test-echo-" + index).start(() -> serve(s, index));
                }
            } catch (IOException closed) {
                // close() ends the loop
            }
        }

        private void serve(Socket s, int index) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            try (s) {
                s.setSoTimeout(30_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    byte[] chunk = java.util.Arrays.copyOf(buf, n);
                    all.write(chunk);
                    out.write(transform.apply(chunk));
                    if (closeAfterFirst) break;
                }
            } catch (IOException e) {
                // the client gave up (as the failure tests make it): what arrived is recorded below
            } finally {
                received.set(index, all.toByteArray());
                open.decrementAndGet();
                closed.incrementAndGet();
            }
        }

        /** Bounded wait for {@code n} connections to be finished on the server's side. */
        void awaitClosed(int n) throws InterruptedException {
            for (int i = 0; i < 500 && closed.get() < n; i++) Thread.sleep(10);
            assertEquals(n, closed.get(), "connections the server has finished");
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
