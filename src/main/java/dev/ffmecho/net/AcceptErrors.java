package dev.ffmecho.net;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;

import java.io.IOException;
import java.util.Set;

/**
 * Which accept failures leave the listener usable, for the servers' accept loops (Go's
 * {@code net.Error.Temporary} for accept, and accept(2)'s advice):
 * <ul>
 *   <li>the failed connection's own error ({@link #isConnectionError}): the next connection in the
 *       queue is unaffected, so accept again at once, as the Go study program does with every error
 *       Accept returns (print it, {@code continue});</li>
 *   <li>want of a resource ({@link #isTemporary}): wait, then accept again.</li>
 * </ul>
 * Anything else is the listener's own failure.
 */
public final class AcceptErrors {
    private AcceptErrors() {}

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

    /** EMFILE, ENFILE, ENOBUFS, ENOMEM: out of something for now. */
    public static boolean isTemporary(IOException e) {
        int errno = errno(e);
        return errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM;
    }

    /** An error of the connection that was being accepted, not of the listener: accept the next one at once. */
    public static boolean isConnectionError(IOException e) {
        int errno = errno(e);
        return errno > 0 && CONNECTION_ERRORS.contains(Errno.name(errno));
    }

    private static int errno(IOException e) {
        return e instanceof SyscallException s ? s.errno() : 0;
    }
}
