package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one home of poll facts: which calls are polls, which are the netpoller's, how they are folded. */
class PollFactsTest {

    private static NormalizedCall call(String name, String ret, String errno, boolean unfinished, String... args) {
        return new NormalizedCall(name, List.of(args), ret, errno, null, unfinished, null);
    }

    @Test
    void theNetpollersPollIsOnAStoryEpollWith128EventsAndTimeout0OrMinus1() {
        assertTrue(PollFacts.isWellFormed(call("epoll_wait", "0", null, false, "epoll1", "[]", "128", "0")));
        assertTrue(PollFacts.isWellFormed(call("epoll_pwait", "1", null, false, "epoll1", "[{EPOLLIN, …}]", "128", "-1", "NULL", "…")));
        assertFalse(PollFacts.isWellFormed(call("epoll_wait", "0", null, false, "epoll1", "[]", "64", "0")), "another maxevents");
        assertFalse(PollFacts.isWellFormed(call("epoll_wait", "0", null, false, "epoll1", "[]", "128", "10")), "a timer's timeout");
        assertFalse(PollFacts.isWellFormed(call("epoll_wait", "-1", "EINTR", false, "epoll1", "…", "128", "-1")), "failed");
        assertFalse(PollFacts.isWellFormed(call("epoll_wait", null, null, true, "epoll1")), "blocked at the cut");
        assertFalse(PollFacts.isWellFormed(call("epoll_wait", "0", null, false, "fd?", "[]", "128", "0")), "not the story's epoll");
        assertFalse(PollFacts.isWellFormed(call("read", "0", null, false, "epoll1", "[]", "128", "0")), "not a poll");
    }

    @Test
    void pollNamesAndSigmask() {
        assertTrue(PollFacts.isPoll("epoll_pwait2"));
        assertFalse(PollFacts.isPoll("poll"));
        assertTrue(PollFacts.takesSigmask("epoll_pwait"));
        assertFalse(PollFacts.takesSigmask("epoll_wait"));
        assertTrue(PollFacts.isCompletedNonBlocking("epoll_wait", List.of("epoll1", "[]", "128", "0"), false));
        assertFalse(PollFacts.isCompletedNonBlocking("epoll_wait", List.of("epoll1", "[]", "128", "-1"), false));
    }

    @Test
    void formsHideWhatThePollFoundAndTheNetpollFormMergesTheTwoTimeouts() {
        NormalizedCall blocking = call("epoll_pwait", "1", null, false, "epoll1", "[{EPOLLIN, …}]", "128", "-1", "NULL", "…");
        assertEquals("epoll_pwait(epoll1, …, 128, -1, NULL, …)", PollFacts.form(blocking));
        assertEquals("epoll_pwait(epoll1, …, 128, 0|-1, NULL, …)", PollFacts.netpollForm(blocking));
        assertEquals("epoll_wait(epoll1, …, 128, 10)", PollFacts.netpollForm(call("epoll_wait", "0", null, false, "epoll1", "[]", "128", "10")));
    }
}
