package dev.ffmecho.server;

import dev.ffmecho.net.TCPAddr;

import java.io.IOException;
import java.util.function.Consumer;

/** An echo server in one of its modes: serve until stopped; stop from any thread (a signal handler). */
public interface Server {
    /**
     * Listens and serves until {@link #stop}; returns normally after a clean stop.
     * @param onListening called once with the bound address, before the first accept
     */
    void serve(Consumer<TCPAddr> onListening) throws IOException;

    /** Stops accepting now and lets connections in progress finish for a bounded time. */
    void stop();
}
