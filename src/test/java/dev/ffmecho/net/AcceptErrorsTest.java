package dev.ffmecho.net;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which accept4 failures the accept loops survive, and how (FaultIT shows it against Go under strace). */
class AcceptErrorsTest {

    private static SyscallException accept4(int errno) {
        return new SyscallException("accept4", errno);
    }

    /** accept(2) NOTES' TCP/IP list (values from asm-generic/errno.h), plus EPERM. */
    @Test
    void aPendingNetworkErrorOfTheNewConnectionIsAcceptedPastAtOnce() {
        int enonet = 64, eproto = 71, enoprotoopt = 92, enetdown = 100, enetunreach = 101, ehostdown = 112, ehostunreach = 113;
        for (int errno : new int[] {enonet, eproto, enoprotoopt, Errno.EOPNOTSUPP, enetdown, enetunreach, ehostdown,
                ehostunreach, Errno.EPERM}) {
            assertTrue(AcceptErrors.isConnectionError(accept4(errno)), Errno.name(errno));
            assertFalse(AcceptErrors.isTemporary(accept4(errno)), Errno.name(errno) + " is not waited out");
        }
    }

    @Test
    void runningOutOfAResourceIsWaitedOutNotSkipped() {
        for (int errno : new int[] {Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM}) {
            assertTrue(AcceptErrors.isTemporary(accept4(errno)), Errno.name(errno));
            assertFalse(AcceptErrors.isConnectionError(accept4(errno)), Errno.name(errno));
        }
    }

    /** A broken listener is neither: the loop gives up rather than spin (Go's study program would spin). */
    @Test
    void aBrokenListenerIsNeither() {
        for (int errno : new int[] {Errno.EBADF, Errno.EINVAL, Errno.ENOTSOCK, Errno.EFAULT}) {
            assertFalse(AcceptErrors.isConnectionError(accept4(errno)), Errno.name(errno));
            assertFalse(AcceptErrors.isTemporary(accept4(errno)), Errno.name(errno));
        }
        IOException notASyscall = new IOException("something else");
        assertFalse(AcceptErrors.isConnectionError(notASyscall));
        assertFalse(AcceptErrors.isTemporary(notASyscall));
    }
}
