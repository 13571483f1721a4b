package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What trace-diff knows about epoll waits, in one place: which calls are polls, which poll is the
 * netpoller's own well-formed one, and the forms a poll is compared by once its result is timing.
 *
 * <p>The netpoller's shape is Go's: {@code netpoll(0)} (non-blocking) and {@code netpoll(-1)}
 * (blocking) both call {@code epollwait(epfd, &events[0], 128, waitms)} with {@code waitms} 0 or -1
 * (runtime/netpoll_epoll.go:netpoll at go1.6, go1.19 and go1.23; go1.19 and go1.23 make it as
 * epoll_pwait with a NULL sigmask). ffm-echo's netpoller makes the same calls.
 */
final class PollFacts {
    private PollFacts() {}

    static final Set<String> NAMES = Set.of("epoll_wait", "epoll_pwait", "epoll_pwait2");

    /** runtime/netpoll_epoll.go:netpoll's {@code var events [128]epollevent}. */
    static final String NETPOLL_MAXEVENTS = "128";

    /** Argument positions shared by the three calls: epfd, events, maxevents, timeout. */
    private static final int EPFD = 0;
    private static final int EVENTS = 1;
    private static final int MAXEVENTS = 2;
    private static final int TIMEOUT = 3;

    static boolean isPoll(String name) {
        return NAMES.contains(name);
    }

    /** epoll_pwait and epoll_pwait2 take a sigmask (and its size) after the timeout; epoll_wait does not. */
    static boolean takesSigmask(String name) {
        return isPoll(name) && !name.equals("epoll_wait");
    }

    static boolean isPoll(NormalizedCall c) {
        return c != null && isPoll(c.name());
    }

    /** Go's netpoll timeouts: 0 (a non-blocking look) and -1 (block until an event). */
    static boolean isNetpollTimeout(String timeout) {
        return "0".equals(timeout) || "-1".equals(timeout);
    }

    /** A completed poll with timeout 0, as Go's sysmon and findrunnable make them. */
    static boolean isCompletedNonBlocking(String name, List<String> args, boolean unfinished) {
        return isPoll(name) && !unfinished && args.size() > TIMEOUT && args.get(TIMEOUT).equals("0");
    }

    /** The netpoller's own shape: on an epoll fd of the story, 128 events, timeout 0 or -1, completed. */
    static boolean isWellFormed(NormalizedCall c) {
        return isPoll(c) && !c.unfinished() && c.errno() == null && NETPOLL_MAXEVENTS.equals(c.arg(MAXEVENTS))
                && isNetpollTimeout(c.arg(TIMEOUT)) && c.arg(EPFD) != null && c.arg(EPFD).startsWith("epoll");
    }

    /**
     * The poll without what it found: {@code epoll_wait(epoll1, …, 128, 0)}. Events and count are
     * what the kernel had ready at that instant; the call's form is what the program chose.
     */
    static String form(NormalizedCall c) {
        return render(c, c.arg(TIMEOUT));
    }

    /**
     * {@link #form} with Go's two netpoll timeouts as one token {@code 0|-1}: in a program whose
     * goroutines run on several threads, whether a thread looks (0) or blocks (-1) is scheduling.
     */
    static String netpollForm(NormalizedCall c) {
        String timeout = c.arg(TIMEOUT);
        return render(c, isNetpollTimeout(timeout) ? "0|-1" : timeout);
    }

    private static String render(NormalizedCall c, String timeout) {
        List<String> args = new ArrayList<>(c.args());
        if (args.size() > EVENTS) args.set(EVENTS, CallRules.ELLIPSIS);
        if (args.size() > TIMEOUT) args.set(TIMEOUT, timeout);
        return c.name() + "(" + ArgList.join(args) + ")";
    }
}
