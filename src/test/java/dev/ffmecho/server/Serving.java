package dev.ffmecho.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Server} running on its own platform thread (not the common pool: on 2 cores it has one
 * worker, which a server would hog), with the port it bound and the outcome of {@code serve()}.
 */
final class Serving {
    final Server server;
    final int port;
    final CompletableFuture<Void> done;

    private Serving(Server server, int port, CompletableFuture<Void> done) {
        this.server = server;
        this.port = port;
        this.done = done;
    }

    static Serving start(Server server) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().name("echo-server").start(() -> {
            try {
                server.serve(bound -> port.complete(bound.port()));
                done.complete(null);
            } catch (Throwable e) {
                port.completeExceptionally(e);
                done.completeExceptionally(e);
            }
        });
        return new Serving(server, port.get(10, TimeUnit.SECONDS), done);
    }

    /** stop(), then wait for serve() to return normally. */
    void stopAndAwait(long seconds) throws Exception {
        server.stop();
        awaitEnd(seconds);
    }

    /** Waits for serve() to return; it must return normally (null), not throw. */
    void awaitEnd(long seconds) throws Exception {
        if (done.get(seconds, TimeUnit.SECONDS) != null) throw new AssertionError("serve() returned a value");
    }
}
