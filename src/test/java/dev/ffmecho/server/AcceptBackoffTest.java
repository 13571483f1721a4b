package dev.ffmecho.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How long an accept loop waits after running out of fds (which failures it waits out: net.AcceptErrorsTest). */
class AcceptBackoffTest {

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
