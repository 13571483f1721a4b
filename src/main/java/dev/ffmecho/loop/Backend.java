package dev.ffmecho.loop;

import dev.ffmecho.sys.SyscallException;

import java.io.IOException;

/**
 * How one loop waits for the kernel and moves a connection's bytes: {@link EpollBackend}
 * (readiness, then read and write) or {@link IoUringBackend} (submit, then reap what was done).
 * The loop ({@link EventLoop}) owns the lifecycle around it: when to accept, wake-ups, the drain.
 * Every method runs on the loop's thread. Public for the JMH benchmarks, which drive a backend's
 * turn directly ({@link EventLoop#newBackend}).
 *
 * <p>The contract fits both kinds: the backend is told which listener to accept on and which
 * connections to serve, does the echo itself (what it received goes back, short sends continued,
 * never unbounded buffering), and reports what happened through {@link Events}.
 */
public interface Backend extends AutoCloseable {

    /** What a backend tells its loop, from inside {@link #poll}. */
    interface Events {
        /** A connection was accepted on the listener (non-blocking, close-on-exec). */
        void accepted(int fd);

        /**
         * accept failed with {@code errno} (EINTR and ECONNABORTED never get here: they are retried).
         * @return true to keep accepting; false when accepting is paused: the backend stops
         */
        boolean acceptFailed(int errno) throws IOException;

        /** The loop's eventfd was written: another thread wants its attention. */
        void woken();

        /** Connection {@code fd} failed in {@code call} with {@code errno}; it is being closed. */
        void failed(int fd, String call, int errno);

        /** Connection {@code fd} has been closed. */
        void closed(int fd);
    }

    /** Starts accepting on the listening socket {@code fd}. */
    void armAccept(int fd) throws SyscallException;

    /** Stops accepting on {@code fd} (a pause, or for good); the socket stays open. */
    void disarmAccept(int fd) throws SyscallException;

    /** Serves a freshly accepted connection until its peer closes it. */
    void add(int fd) throws SyscallException;

    /** Connections open on this backend. */
    int connections();

    /** Whether work is waiting that needs no event (input left unread for fairness): the next poll must not block. */
    boolean busy();

    /**
     * Waits at most {@code timeoutMillis} (0: not at all, -1: no limit) for something to happen,
     * then handles all of it.
     */
    void poll(int timeoutMillis) throws IOException;

    /** The drain deadline has passed: ends every connection now (each is reported through {@link Events#closed}). */
    void endConnections();

    /** Closes whatever connections are still open and frees the backend's fds and memory. */
    @Override
    void close();
}
