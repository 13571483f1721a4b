package dev.ffmecho.loop;

/** The kernel interface an event loop waits and moves bytes through ({@code --io}). */
public enum Io {
    /** Readiness: epoll_wait says which sockets are ready, then read(2) and write(2) move the bytes. */
    EPOLL,
    /**
     * Completion: the loop submits accepts, receives and sends to an io_uring and reaps what they
     * did; one io_uring_enter carries a batch of both (Linux 6.0 or newer for multishot recv).
     */
    IO_URING
}
