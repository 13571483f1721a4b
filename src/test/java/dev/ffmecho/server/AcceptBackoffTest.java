package dev.ffmecho.server;

import dev.ffmecho.sys.Errno;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which accept4 failures the accept loop survives, and how (FaultIT shows it against Go under strace). */
class AcceptBackoffTest {

    /** accept(2) NOTES' TCP/IP list (values from asm-generic/errno.h), plus EPERM. */
    @Test
    void aPendingNetworkErrorOfTheNewConnectionIsAcceptedPastAtOnce() {
        int enonet = 64, eproto = 71, enoprotoopt = 92, enetdown = 100, enetunreach = 101, ehostdown = 112, ehostunreach = 113;
        for (int errno : new int[] {enonet, eproto, enoprotoopt, Errno.EOPNOTSUPP, enetdown, enetunreach, ehostdown,
                ehostunreach, Errno.EPERM}) {
            assertTrue(AcceptBackoff.isConnectionError(errno), Errno.name(errno));
            assertFalse(AcceptBackoff.isTemporary(errno), Errno.name(errno) + " is not waited out");
        }
    }

    @Test
    void runningOutOfAResourceIsWaitedOutNotSkipped() {
        for (int errno : new int[] {Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM}) {
            assertTrue(AcceptBackoff.isTemporary(errno), Errno.name(errno));
            assertFalse(AcceptBackoff.isConnectionError(errno), Errno.name(errno));
        }
    }

    /** A broken listener is neither: the loop gives up rather than spin (Go's study program would spin). */
    @Test
    void aBrokenListenerIsNeither() {
        for (int errno : new int[] {Errno.EBADF, Errno.EINVAL, Errno.ENOTSOCK, Errno.EFAULT}) {
            assertFalse(AcceptBackoff.isConnectionError(errno), Errno.name(errno));
            assertFalse(AcceptBackoff.isTemporary(errno), Errno.name(errno));
        }
    }

    @Test
    void theWaitDoublesFrom5msTo1sAndStartsOverAfterASuccess() {
        AcceptBackoff b = new AcceptBackoff();
        assertEquals(5, b.next());
        assertEquals(10, b.next());
        for (int i = 0; i < 20; i++) b.next();
        assertEquals(1000, b.next());
        b.reset();
        assertEquals(5, b.next());
    }
}
