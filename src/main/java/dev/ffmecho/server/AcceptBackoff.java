package dev.ffmecho.server;

import dev.ffmecho.sys.Errno;

import java.util.Set;

/**
 * What both servers do when accept4 fails. Two kinds of failure leave the listener usable:
 * <ul>
 *   <li>the failed connection's own error ({@link #isConnectionError}): the next connection in the
 *       queue is unaffected, so accept again at once, as the Go study program does with every error
 *       Accept returns (print it, {@code continue});</li>
 *   <li>want of a resource ({@link #isTemporary}): as Go's net/http Server.Serve does, the next
 *       attempt waits 5 ms, doubling, capped at 1 s.</li>
 * </ul>
 * The wait is not a network call: under strace the accept4 calls are the same as Go's, only further
 * apart (native-notes/06-accept4-eagain.md).
 */
final class AcceptBackoff {
    private static final long MIN_MILLIS = 5;
    private static final long MAX_MILLIS = 1000;

    /**
     * accept(2) NOTES: "Linux accept() (and accept4()) passes already-pending network errors on the
     * new socket as an error code from accept() … the application should detect the network errors
     * defined for the protocol after accept() and treat them like EAGAIN by retrying. In the case of
     * TCP/IP, these are ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP,
     * and ENETUNREACH." Plus EPERM, "Firewall rules forbid connection" (accept(2) ERRORS).
     * (ECONNABORTED never gets here: the accept itself retries it, as Go's does.)
     */
    private static final Set<String> CONNECTION_ERRORS = Set.of("ENETDOWN", "EPROTO", "ENOPROTOOPT", "EHOSTDOWN",
            "ENONET", "EHOSTUNREACH", "EOPNOTSUPP", "ENETUNREACH", "EPERM");

    private long millis;

    /** EMFILE, ENFILE, ENOBUFS, ENOMEM: out of something for now. */
    static boolean isTemporary(int errno) {
        return errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM;
    }

    /** An error of the connection that was being accepted, not of the listener: accept the next one at once. */
    static boolean isConnectionError(int errno) {
        return CONNECTION_ERRORS.contains(Errno.name(errno));
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
