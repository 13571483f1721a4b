package dev.ffmecho.server;

/**
 * How long an accept loop waits after running out of something (EMFILE, ENFILE, ENOBUFS, ENOMEM;
 * see net.AcceptErrors): as Go's net/http Server.Serve does, 5 ms, doubling, capped at 1 s. The
 * wait is not a network call: under strace the accept4 calls are the same as Go's, only further
 * apart (native-notes/06-accept4-eagain.md). One per accept loop; not thread-safe.
 */
final class AcceptBackoff {
    private static final long MIN_MILLIS = 5;
    private static final long MAX_MILLIS = 1000;

    private long millis;

    /** The wait before the next attempt, after one more temporary failure. */
    long next() {
        millis = millis == 0 ? MIN_MILLIS : Math.min(2 * millis, MAX_MILLIS);
        return millis;
    }

    /** An accept succeeded: the next failure starts again at 5 ms. */
    void reset() {
        millis = 0;
    }
}
