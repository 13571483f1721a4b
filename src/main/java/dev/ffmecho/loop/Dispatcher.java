package dev.ffmecho.loop;

import java.io.IOException;

/**
 * What an event loop leaves to the server: policy. Called on the loop's own thread.
 */
public interface Dispatcher {
    /**
     * A connection was accepted on {@code loop}'s listener. The dispatcher admits it or not, and
     * calls exactly one of {@code loop.serve(fd)}, another loop's {@link EventLoop#handOver}, or
     * {@code loop.refuse(fd)}.
     */
    void accepted(EventLoop loop, int fd);

    /**
     * accept failed with {@code e} (its errno named in the message).
     * @return 0 to accept again at once, or how many milliseconds accepting pauses
     * @throws IOException to end the loop (a failure of the listener itself)
     */
    long acceptFailed(EventLoop loop, IOException e) throws IOException;

    /** A connection of {@code loop} ended with an error (it is closed; the loop goes on). */
    void connectionFailed(EventLoop loop, int fd, IOException e);

    /** A connection the dispatcher admitted has been closed, or was never served because the loop ended. */
    void connectionClosed(EventLoop loop);

    /** {@code loop} has failed and ended (from its thread, as it ends): the dispatcher stops the others. */
    void loopFailed(EventLoop loop, IOException e);
}
