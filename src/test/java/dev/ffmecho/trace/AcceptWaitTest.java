package dev.ffmecho.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accept waits: on real captures of three back-to-back clients (Go 1.23's study program, where
 * every client was already queued, and ffm-echo, where the third was not: one wait more), and on
 * small traces for the rules' edges.
 */
class AcceptWaitTest {

    @TempDir
    Path dir;

    private static final String GO = "go1.23-study-back-to-back.strace";
    private static final String FFM = "ffm-echo-go1.23-back-to-back.strace";
    /** Lines 547-550 of FFM: the wait before the third accept (accept4 EAGAIN, epoll_pwait 0, split epoll_pwait -1). */
    private static final String EXTRA_WAIT_POLL0 = "1203  epoll_pwait(7, [], 128, 0, NULL, 8) = 0";

    private Fixtures.Run diff(String actualText, String referenceText, String... options) {
        return Fixtures.diffTexts(dir, actualText, referenceText, options);
    }

    @Test
    void anExtraWellFormedWaitBetweenAcceptsIsTiming() {
        String go = Fixtures.resource(GO);
        String ffm = Fixtures.resource(FFM);
        Fixtures.Run r = diff(ffm, go, "--explain");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().lines().findFirst().orElseThrow().contains("1 accept wait(s) between accepts matched by shape"), r.out());
        assertTrue(Pattern.compile("(?m)^  accept-wait-fold +0 +1  between two accepts").matcher(r.out()).find(), r.out());
        assertEquals(0, diff(go, ffm).code(), "whichever side is the reference");
    }

    @Test
    void theWaitsBetweenAcceptsAreListedByNormalizedAndTheOthersStayInPlace() {
        Fixtures.Run r = Fixtures.run(Fixtures.write(dir, "ffm.strace", Fixtures.resource(FFM)).toString(), "--normalized");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        int first = lines.indexOf("accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN");
        assertEquals(List.of(
                "accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN",
                "epoll_pwait(epoll1, [], 128, 0, NULL, …) = 0",
                "epoll_pwait(epoll1, [{EPOLLIN, …}], 128, -1, NULL, …) = 1"), lines.subList(first, first + 3),
                "the wait before the first accept stays, call for call");
        int header = lines.indexOf("# accept waits between accepts (compared by shape, not by position):");
        assertEquals(List.of(
                "epoll_pwait(epoll1, [], 128, 0, NULL, …) = 0",
                "epoll_pwait(epoll1, <unfinished>",
                "# accept waits between accepts (compared by shape, not by position):",
                "accept wait: accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN → epoll_pwait(epoll1, …, 128, 0, NULL, …)"
                        + " → epoll_pwait(epoll1, …, 128, -1, NULL, …)"), lines.subList(header - 2, header + 2),
                "the wait still open at the cut stays in place; the one between accepts is listed by shape");
        assertEquals(2, lines.subList(0, header).stream().filter(l -> l.startsWith("accept4(sock4, …") && l.endsWith("EAGAIN")).count(),
                "the first wait's and the last (open) wait's EAGAIN are in the sequence, the middle one is not");
    }

    @Test
    void aWaitOfAnotherShapeBetweenAcceptsIsCaught() {
        String ffm = RawTrace.dropLines(Fixtures.resource(FFM), 548, 548, EXTRA_WAIT_POLL0);
        Fixtures.Run r = diff(ffm, Fixtures.resource(GO));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("=== accept waits between accepts (where they fall and when the client ends them are timing;"
                + " each round must be a prefix of a round among the other trace's waits): differs (0 reference line(s) missing or"
                + " changed, 1 actual line(s) not in the reference)"), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(List.of("+          547..549  accept wait: accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN"
                + " → epoll_pwait(epoll1, …, 128, -1, NULL, …)"), changes, r.out());
    }

    /**
     * A client that connects while the server is in its non-blocking poll ends the wait there:
     * findrunnable's netpoll(0) found it, so no blocking poll follows. The other trace never shows
     * that exact wait, but its whole sequence starts with it: timing, not a difference.
     */
    @Test
    void aWaitEndedByTheNonBlockingPollIsTiming() {
        String ffm = RawTrace.dropLines(Fixtures.resource(FFM), 549, 550, "1203  epoll_pwait(7,  <unfinished ...>");
        Fixtures.Run r = diff(ffm, Fixtures.resource(GO));
        assertEquals(0, r.code(), r.out());
        String ffmFull = Fixtures.resource(FFM);
        assertEquals(0, diff(ffm, ffmFull).code(), "against a trace whose wait blocked too");
        assertEquals(0, diff(ffmFull, ffm).code(), "whichever side is the reference");
    }

    /** A wait that skips the non-blocking poll is not a prefix of the netpoller's sequence. */
    @Test
    void aWaitThatSkipsTheNonBlockingPollIsNotAPrefix() {
        String ffm = RawTrace.dropLines(Fixtures.resource(FFM), 548, 548, EXTRA_WAIT_POLL0);
        assertEquals(1, diff(ffm, Fixtures.resource(FFM)).code(), "even against the same program's trace");
    }

    /**
     * Go's idle Ms poll whenever the scheduler looks for work, on any thread: a live Go 1.19 run of
     * the study program had a non-blocking poll between an accept and its TCP_NODELAY, on a thread
     * that polled blocking later too (so not a poll-only thread). Such a poll outside every accept
     * wait is scheduling; one with another timeout is not a netpoll poll and
     * still shows.
     */
    @Test
    void aNetpollPollOutsideEveryWaitIsScheduling() {
        String accept = "1203  epoll_ctl(7, EPOLL_CTL_ADD, 6, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, data={u32=6, u64=17179869190}}) = 0";
        String ffm = Fixtures.resource(FFM);
        String stray = RawTrace.replaceLine(ffm, 552, accept,
                accept + "\n1203  epoll_pwait(7, [{events=EPOLLIN|EPOLLOUT, data={u32=6, u64=17179869190}}], 128, 0, NULL, 8) = 1");
        Fixtures.Run r = diff(stray, Fixtures.resource(GO), "--explain");
        assertEquals(0, r.code(), r.out());
        assertTrue(Pattern.compile("(?m)^  stray-poll +0 +1  ").matcher(r.out()).find(), r.out());
        String timed = RawTrace.replaceLine(ffm, 552, accept,
                accept + "\n1203  epoll_pwait(7, [{events=EPOLLIN|EPOLLOUT, data={u32=6, u64=17179869190}}], 128, 5, NULL, 8) = 1");
        assertEquals(1, diff(timed, Fixtures.resource(GO)).code(), "a poll with a 5 ms timeout is not Go's netpoll");
    }

    @Test
    void aWaitBetweenAcceptsCannotStandInForTheFirstAcceptsWait() {
        // ffm-echo's first accept without its EAGAIN retry: it still has a wait of the same shape
        // between accepts, but the first accept's wait is compared where it is.
        String ffm = RawTrace.dropLines(Fixtures.resource(FFM), 497, 502, "1203  accept4(5,  <unfinished ...>");
        Fixtures.Run r = diff(ffm, Fixtures.resource(GO));
        assertEquals(1, r.code(), r.out());
        List<String> changes = Fixtures.changes(r.out());
        assertEquals(3, changes.size(), r.out());
        assertTrue(changes.get(0).startsWith("- ") && changes.get(0).endsWith("accept4(sock4, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN"),
                changes.get(0));
        assertTrue(changes.get(1).endsWith("epoll_pwait(epoll1, [], 128, 0, NULL, …) = 0"), changes.get(1));
        assertTrue(changes.get(2).endsWith("epoll_pwait(epoll1, [{EPOLLIN, …}], 128, -1, NULL, …) = 1"), changes.get(2));
    }

    @Test
    void theSequentialMutationsAreStillCaughtWithWaitsFolded() {
        String ffm = Fixtures.resource(FFM);
        String go = Fixtures.resource(GO);
        String noNonblock = Fixtures.replaceOnce(ffm, "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
                "SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5");
        assertEquals(1, diff(noNonblock, go).code(), "listener without SOCK_NONBLOCK");
        // lines 511-513: the first connection's keep-alive options
        String idle = "1203  setsockopt(6, SOL_TCP, TCP_KEEPIDLE, [15], 4) = 0";
        String intvl = "1203  setsockopt(6, SOL_TCP, TCP_KEEPINTVL, [15], 4) = 0";
        String cnt = "1203  setsockopt(6, SOL_TCP, TCP_KEEPCNT, [9], 4) = 0";
        String extra = RawTrace.replaceLine(ffm, 513, cnt, cnt + "\n1203  setsockopt(6, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0");
        Fixtures.Run r = diff(extra, go);
        assertEquals(1, r.code(), "an extra setsockopt on the first connection");
        assertEquals(1, Fixtures.changes(r.out()).size(), r.out());
        String swapped = RawTrace.replaceLine(RawTrace.replaceLine(ffm, 511, idle, intvl), 512, intvl, idle);
        assertEquals(1, diff(swapped, go).code(), "keep-alive options swapped on the first connection");
    }

    // --- the rules' edges, on small traces -----------------------------------------------------

    private static final String[] HEAD = {
        "10 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
        "10 epoll_create1(EPOLL_CLOEXEC) = 4",
        "10 accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
        "10 epoll_wait(4, [], 128, 0) = 0",
        "10 epoll_wait(4, [{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1",
        "10 accept4(3, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5",
        "10 close(5) = 0",
    };
    private static final String EAGAIN = "10 accept4(3, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)";
    private static final String SECOND = "10 accept4(3, {sa_family=AF_INET, sin_port=htons(2), sin_addr=inet_addr(\"127.0.0.1\")}, [112 => 16], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5";

    private static Stories stories(String... lines) {
        return Stories.sequential(Fixtures.norm(String.join("\n", lines) + "\n"));
    }

    @Test
    void onlyACompleteWaitBetweenAcceptsIsTakenOut() {
        Stories folded = stories(Fixtures.concat(HEAD, new String[] {
                EAGAIN, "10 epoll_wait(4, [], 128, 0) = 0", "10 epoll_wait(4, [{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1", SECOND}));
        assertEquals(1, folded.waitsBetweenAccepts().size());
        assertEquals(2, folded.waits().size(), "the first accept's wait is found too");
        assertTrue(folded.waits().get(0).first());
        assertEquals(1, folded.trace().counts().get(Rule.ACCEPT_WAIT_FOLD));
        assertEquals(HEAD.length + 1, folded.stories().get(0).entries().size(), "the wait's three calls left the sequence");

        // a wait broken by another call (here a poll of another size) is not a well-formed wait: it stays
        Stories odd = stories(Fixtures.concat(HEAD, new String[] {EAGAIN, "10 epoll_wait(4, [], 64, 0) = 0", SECOND}));
        assertEquals(List.of(), odd.waitsBetweenAccepts());
        assertEquals(HEAD.length + 3, odd.stories().get(0).entries().size());

        // a wait that no accept ends (the server idle at the cut) stays
        Stories open = stories(Fixtures.concat(HEAD, new String[] {EAGAIN, "10 epoll_wait(4, [], 128, 0) = 0",
                "10 epoll_wait(4,  <unfinished ...>", "11 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---"}));
        assertEquals(List.of(), open.waitsBetweenAccepts());
        assertEquals("epoll_wait(epoll1, <unfinished>", open.stories().get(0).lines().get(HEAD.length + 2));
    }

    @Test
    void aShapeIsMatchedAgainstEveryWaitOfTheOtherSideButFirstWaitsAreNeverReported() {
        Stories withWait = stories(Fixtures.concat(HEAD, new String[] {
                EAGAIN, "10 epoll_wait(4, [], 128, 0) = 0", "10 epoll_wait(4, [{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1", SECOND}));
        Stories blocking = stories(Fixtures.concat(HEAD, new String[] {
                EAGAIN, "10 epoll_wait(4, [{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1", SECOND}));
        Stories none = stories(Fixtures.concat(HEAD, new String[] {SECOND}));
        assertEquals(List.of(), AcceptWaits.unmatched(withWait.waits(), none.waits()),
                "a plain wait between accepts has the shape of the other side's first wait");
        assertEquals(List.of(), AcceptWaits.unmatched(none.waits(), withWait.waits()), "first waits are compared in place, not here");
        assertEquals(1, AcceptWaits.unmatched(blocking.waits(), none.waits()).size(), "a wait without the epoll_wait(…, 0) step");
        assertEquals("accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN → epoll_wait(epoll1, …, 128, -1)",
                AcceptWaits.unmatched(blocking.waits(), none.waits()).get(0).shape());
    }

    /**
     * Another M was already blocked in the netpoller when the accept failed, and its poll ended the
     * wait: the waiting M made no poll of its own (a live Go 1.19 back-to-back run showed it). The
     * same blocking poll entered after the EAGAIN, with no non-blocking look first, is still caught.
     */
    @Test
    void aWaitEndedByAPollAnotherThreadHadAlreadyEnteredIsTiming() {
        String[] alreadyPolling = Fixtures.concat(HEAD, new String[] {
                "11 epoll_wait(4,  <unfinished ...>", EAGAIN, "11 <... epoll_wait resumed>[{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1", SECOND});
        Stories waited = stories(alreadyPolling);
        Stories none = stories(Fixtures.concat(HEAD, new String[] {SECOND}));
        assertEquals(1, waited.waitsBetweenAccepts().size(), "the wait is found, the other thread's poll in it");
        assertEquals("accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN → (already polling) epoll_wait(epoll1, …, 128, -1)",
                waited.waitsBetweenAccepts().get(0).shape());
        assertEquals(List.of(), AcceptWaits.unmatched(waited.waits(), none.waits()));
        assertEquals(0, diff(trace(alreadyPolling), trace(HEAD, new String[] {SECOND})).code());
        assertEquals(0, diff(trace(HEAD, new String[] {SECOND}), trace(alreadyPolling)).code(), "whichever side is the reference");

        String[] enteredAfter = Fixtures.concat(HEAD, new String[] {
                EAGAIN, "11 epoll_wait(4,  <unfinished ...>", "11 <... epoll_wait resumed>[{EPOLLIN, {u32=3, u64=3}}], 128, -1) = 1", SECOND});
        assertEquals(1, AcceptWaits.unmatched(stories(enteredAfter).waits(), none.waits()).size(), "a blocking poll without the look first");
    }

    private static final String[] OPEN_WAIT = {
        "10 epoll_wait(4, [], 128, 0) = 0",
        "10 epoll_wait(4,  <unfinished ...>",
        "11 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=1, si_uid=0} ---",
    };

    private static String trace(String[]... parts) {
        return String.join("\n", Fixtures.concat(parts)) + "\n";
    }

    /**
     * The edge of the last client accepted can be reported after its accept: the open wait at the
     * cut then starts with two EAGAINs, the second one the retry that took the stale ready mark
     * (a live Go-profile run under --concurrent=16 showed it). One retry is timing, whichever side
     * has it; a loop that retries twice without waiting is not.
     */
    @Test
    void oneRetryOnAStaleReadyMarkIsTimingButASpinningAcceptIsNot() {
        String once = trace(HEAD, new String[] {SECOND, EAGAIN}, OPEN_WAIT);
        String retried = trace(HEAD, new String[] {SECOND, EAGAIN, EAGAIN}, OPEN_WAIT);
        String spinning = trace(HEAD, new String[] {SECOND, EAGAIN, EAGAIN, EAGAIN}, OPEN_WAIT);
        Fixtures.Run r = diff(retried, once, "--explain");
        assertEquals(0, r.code(), r.out());
        assertTrue(Pattern.compile("(?m)^  stale-ready-retry +0 +1  ").matcher(r.out()).find(), r.out());
        assertEquals(0, diff(once, retried).code(), "whichever side is the reference");
        Fixtures.Run spun = diff(spinning, once);
        assertEquals(1, spun.code(), spun.out());
        assertEquals(List.of("+      11    accept4(sock1, …, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN"), Fixtures.changes(spun.out()));
        assertEquals(1, diff(spinning, once, "--concurrent").code(), "in the listener's story too");
        assertEquals(0, diff(retried, once, "--concurrent").code(), "in the listener's story too");
    }

    @Test
    void aRetryOnAnotherListenerIsNotAStaleReadyRetry() {
        Stories two = stories(Fixtures.concat(HEAD, new String[] {SECOND, EAGAIN,
                "10 accept4(6, 0x7f0000001000, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)"}, OPEN_WAIT));
        assertEquals(0, two.trace().counts().get(Rule.STALE_READY_RETRY));
    }
}
