package dev.ffmecho.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives a server with one {@link Clients} shape and checks every byte of every echo. Payloads
 * other than the study note's "hello" are seeded pseudo-random bytes, so a reordered or repeated
 * chunk is caught, not only a short one. Concurrency is platform threads, each bounded.
 */
final class ClientRun {
    static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);
    static final int[] BACK_TO_BACK_SIZES = {5, 70_000, 1};
    static final int ROUND_TRIPS = 3;
    static final int ROUND_TRIP_SIZE = 64;
    static final int STREAM_SIZE = 200_000;
    /** Above this a payload is written by a second thread while the echo is read, as a real client must. */
    private static final int WRITE_THEN_READ_LIMIT = 16 * 1024;
    private static final long JOIN_LIMIT_MILLIS = 60_000;

    private ClientRun() {}

    /** Runs {@code clients} against 127.0.0.1:{@code port}; returns when every client has closed. */
    static void run(Clients clients, int port) throws IOException, InterruptedException {
        switch (clients.shape()) {
            case SERIAL -> echo(port, HELLO);
            case BACK_TO_BACK -> {
                for (int i = 0; i < BACK_TO_BACK_SIZES.length; i++) echo(port, payload(BACK_TO_BACK_SIZES[i], i));
            }
            case CONCURRENT -> concurrent(port, clients.count());
        }
    }

    /** One connection: send {@code payload}, read it back, close. */
    static void echo(int port, byte[] payload) throws IOException, InterruptedException {
        try (EchoConnection c = EchoConnection.open(port)) {
            if (payload.length <= WRITE_THEN_READ_LIMIT) {
                c.writeAll(payload);
                expect(payload, c.readExactly(payload.length));
            } else {
                AtomicReference<Throwable> writeFailure = new AtomicReference<>();
                Thread writer = start("verify-writer", () -> c.writeAll(payload), writeFailure);
                byte[] got = c.readExactly(payload.length);
                join(writer);
                rethrow(writeFailure.get());
                expect(payload, got);
            }
        }
    }

    /** {@code n} clients that connect at once, then each does its round trips and its stream. */
    private static void concurrent(int port, int n) throws IOException, InterruptedException {
        CountDownLatch connected = new CountDownLatch(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int client = i;
            threads.add(start("verify-client-" + i, () -> {
                try (EchoConnection c = EchoConnection.open(port)) {
                    connected.countDown();
                    if (!connected.await(JOIN_LIMIT_MILLIS, TimeUnit.MILLISECONDS)) {
                        throw new IOException("the other clients did not connect within " + JOIN_LIMIT_MILLIS / 1000 + " s");
                    }
                    converse(c, client);
                } finally {
                    connected.countDown(); // a client that failed to connect must not hold the others for the full limit
                }
            }, failure));
        }
        for (Thread t : threads) join(t);
        rethrow(failure.get());
    }

    /** One concurrent client's conversation: round trips, then a stream, half-close, echo to EOF. */
    private static void converse(EchoConnection c, int client) throws IOException, InterruptedException {
        for (int i = 0; i < ROUND_TRIPS; i++) {
            byte[] ping = payload(ROUND_TRIP_SIZE, 1000 * client + i);
            c.writeAll(ping);
            expect(ping, c.readExactly(ping.length));
        }
        byte[] stream = payload(STREAM_SIZE, 1000 * client + ROUND_TRIPS);
        AtomicReference<Throwable> writeFailure = new AtomicReference<>();
        Thread writer = start("verify-writer-" + client, () -> {
            c.writeAll(stream);
            c.shutdownWrite();
        }, writeFailure);
        byte[] got = c.readToEof(stream.length);
        join(writer);
        rethrow(writeFailure.get());
        expect(stream, got);
    }

    static byte[] payload(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void expect(byte[] sent, byte[] got) throws IOException {
        int at = Arrays.mismatch(sent, got);
        if (at >= 0) {
            throw new IOException("the echo of " + sent.length + " bytes differs from what was sent at byte " + at
                    + (at < got.length ? "" : " (only " + got.length + " came back)"));
        }
    }

    /** Work that may fail with an I/O or syscall error, run on its own platform thread. */
    private interface Work {
        void run() throws Exception;
    }

    private static Thread start(String name, Work work, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().name(name).daemon().start(() -> {
            try {
                work.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
    }

    private static void join(Thread t) throws IOException, InterruptedException {
        if (!t.join(java.time.Duration.ofMillis(JOIN_LIMIT_MILLIS))) {
            throw new IOException(t.getName() + " did not finish within " + JOIN_LIMIT_MILLIS / 1000 + " s");
        }
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t == null) return;
        if (t instanceof IOException e) throw e;
        throw new IOException(t.toString(), t);
    }
}
