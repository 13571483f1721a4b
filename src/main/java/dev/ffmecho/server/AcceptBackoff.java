package dev.ffmecho.server;

import dev.ffmecho.sys.Errno;

/**
 * What both servers do when accept4 fails for want of a resource, as Go's net/http Server.Serve
 * does: such an error is temporary, and the next attempt waits 5 ms, doubling, capped at 1 s.
 */
final class AcceptBackoff {
    private static final long MIN_MILLIS = 5;
    private static final long MAX_MILLIS = 1000;

    private long millis;

    /** EMFILE, ENFILE, ENOBUFS, ENOMEM: out of something for now; anything else is not retried. */
    static boolean isTemporary(int errno) {
        return errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM;
    }

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
