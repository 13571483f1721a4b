package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the accept waits of a story and folds those that are timing out of its sequence.
 *
 * <p>An accept wait is Go's {@code accept → EAGAIN → waitRead → accept} loop
 * (internal/poll/fd_unix.go:(*FD).Accept at go1.19 and go1.23, net/fd_unix.go:(*netFD).accept at
 * go1.6) as strace shows it: {@code accept4(sockN, …) = -1 EAGAIN}, then the netpoller's
 * well-formed polls ({@link PollFacts#isWellFormed}; none when they are in another story, as with
 * --concurrent), possibly again, and then an accept4 on the same listener that returns a conn.
 *
 * <ul>
 *   <li>The wait before a listener's first accept is deterministic (no client can be there yet)
 *       and stays in the sequence, compared call for call.</li>
 *   <li>A wait between two accepts depends on whether the next client was already queued when the
 *       server came back to accept: it is taken out of the sequence. Its shape (the calls' forms,
 *       in order, what the polls found hidden) is still compared: each of its rounds must be a
 *       prefix of a round the other program makes, see {@link #unmatched}.</li>
 *   <li>A wait that no accept ends (the server idle in its last accept at the signal cut, or a
 *       wait broken by some other call) is not a complete wait and stays.</li>
 * </ul>
 */
final class AcceptWaits {
    private AcceptWaits() {}

    /**
     * One complete wait: its calls, their forms in order (its shape), and whether it came before its
     * listener's first accept.
     */
    record AcceptWait(List<String> forms, List<Entry> calls, boolean first) {
        AcceptWait {
            forms = List.copyOf(forms);
            calls = List.copyOf(calls);
        }

        String shape() {
            return String.join(" → ", forms);
        }

        /**
         * The wait cut at each failed accept: one round per EAGAIN, with the polls that followed it.
         * A poll some thread had entered before the round's EAGAIN returned is not a step of the
         * round ({@link #enteredBefore}).
         */
        List<List<String>> rounds() {
            List<List<String>> rounds = new ArrayList<>();
            Entry eagain = null;
            for (int i = 0; i < calls.size(); i++) {
                Entry e = calls.get(i);
                if (isAcceptEagain(e.call()) || rounds.isEmpty()) {
                    rounds.add(new ArrayList<>());
                    eagain = e;
                }
                if (!enteredBefore(e, eagain)) rounds.getLast().add(forms.get(i));
            }
            return rounds;
        }

        /** The wait as one line of output: its shape, with every source line behind it. */
        Entry asEntry() {
            List<Syscall> sources = new ArrayList<>();
            for (Entry e : calls) sources.addAll(e.sources());
            return new Entry("accept wait: " + shape(), sources, Entry.Kind.FOLDED);
        }
    }

    /** A story with its timing waits taken out, and every complete wait found (first ones included). */
    record Folded(List<Entry> entries, List<AcceptWait> waits) {
        Folded {
            entries = List.copyOf(entries);
            waits = List.copyOf(waits);
        }

        /** The waits that were taken out of the sequence. */
        List<AcceptWait> between() {
            return waits.stream().filter(w -> !w.first()).toList();
        }
    }

    static Folded fold(List<Entry> entries, RuleCounts counts) {
        List<Entry> out = new ArrayList<>();
        List<AcceptWait> waits = new ArrayList<>();
        Set<String> accepted = new HashSet<>();
        int i = 0;
        while (i < entries.size()) {
            Entry e = entries.get(i);
            if (!isAcceptEagain(e.call())) {
                if (isAcceptSuccess(e.call())) accepted.add(e.call().arg(0));
                out.add(e);
                i++;
                continue;
            }
            String listener = e.call().arg(0);
            int end = waitEnd(entries, i, listener);
            List<Entry> calls = entries.subList(i, end);
            boolean complete = end < entries.size() && isAcceptSuccess(entries.get(end).call())
                    && listener.equals(entries.get(end).call().arg(0));
            boolean first = !accepted.contains(listener);
            if (complete) waits.add(new AcceptWait(forms(calls), calls, first));
            if (complete && !first) {
                counts.inc(Rule.ACCEPT_WAIT_FOLD);
            } else {
                out.addAll(calls);
            }
            i = end;
        }
        return new Folded(out, waits);
    }

    /**
     * The completed netpoll polls of a sequential story that belong to no accept wait (transfers'
     * polls are folded already) dropped: a Go program's idle Ms poll whenever the scheduler looks
     * for work, on any thread (runtime/proc.go wakep → findrunnable → netpoll(0) at go1.19), so one
     * may land anywhere — a live Go 1.19 run of the study program had one between an accept and
     * its TCP_NODELAY. An accept wait's own polls, from its EAGAIN to the call that ends it, stay.
     */
    static List<Entry> dropStrayPolls(List<Entry> entries, RuleCounts counts) {
        List<Entry> out = new ArrayList<>(entries.size());
        boolean inWait = false;
        for (Entry e : entries) {
            NormalizedCall c = e.call();
            if (PollFacts.isWellFormed(c)) {
                if (inWait) {
                    out.add(e);
                } else {
                    counts.inc(Rule.STRAY_POLL);
                }
                continue;
            }
            inWait = isAcceptEagain(c) || (inWait && PollFacts.isPoll(c));
            out.add(e);
        }
        return out;
    }

    /**
     * An accept that failed with EAGAIN directly after another on the same listener dropped, one
     * per run: the retry of a wait that found its pollDesc already marked ready. The netpoller
     * marks a descriptor ready for each edge epoll reports, and an edge can come from a client the
     * accept loop has already taken (it accepts every queued client before it waits, and the last
     * one's edge may be reported afterwards); the next wait then consumes that mark instead of
     * parking, and the accept fails again (runtime/netpoll.go netpollblock: an rg of pdReady is
     * taken and returned at once, go1.19; the same at go1.6). The mark is one token, so one such
     * retry per wait is timing; a second one in a row (an accept loop that spins) still shows.
     */
    static List<Entry> dropStaleRetries(List<Entry> entries, RuleCounts counts) {
        List<Entry> out = new ArrayList<>(entries.size());
        boolean justDropped = false; // the last call seen was a retry dropped: the next one stays
        for (Entry e : entries) {
            NormalizedCall c = e.call();
            NormalizedCall previous = out.isEmpty() ? null : out.getLast().call();
            boolean retry = isAcceptEagain(c) && isAcceptEagain(previous) && c.arg(0).equals(previous.arg(0));
            if (retry && !justDropped) {
                justDropped = true;
                counts.inc(Rule.STALE_READY_RETRY);
                continue;
            }
            justDropped = false;
            out.add(e);
        }
        return out;
    }

    /**
     * The non-first waits of {@code side} that the other program's netpoller could not have made.
     * Which accepts a wait falls between is timing, so waits are not paired by position. Where a
     * wait ends is timing too: Go's scheduler polls without blocking first and blocks only if that
     * found nothing (runtime/proc.go findrunnable: netpoll(0), later netpoll(-1) at go1.19; the
     * same order at go1.6), so a client that arrives during the wait ends it after the
     * non-blocking poll, and one already there when the EAGAIN came back ends it after no poll at
     * all. So each round of a wait (an EAGAIN and the polls after it) must be a prefix of some round
     * of the other trace's waits (its first wait included, whose round is the netpoller's whole
     * sequence). A poll another thread had already entered when the round's EAGAIN came back is
     * not a step of the round ({@link #enteredBefore}). A step the other program never takes (a
     * poll missing in the middle, another timeout or maxevents, a retry without the EAGAIN) is
     * still a difference.
     */
    static List<AcceptWait> unmatched(List<AcceptWait> side, List<AcceptWait> other) {
        List<List<String>> otherRounds = new ArrayList<>();
        for (AcceptWait w : other) otherRounds.addAll(w.rounds());
        return side.stream().filter(w -> !w.first() && !allRoundsArePrefixes(w, otherRounds)).toList();
    }

    private static boolean allRoundsArePrefixes(AcceptWait w, List<List<String>> otherRounds) {
        for (List<String> round : w.rounds()) {
            boolean prefix = otherRounds.stream().anyMatch(o -> o.size() >= round.size() && o.subList(0, round.size()).equals(round));
            if (!prefix) return false;
        }
        return true;
    }

    /** Index just past the wait that starts at {@code start}: EAGAIN accepts on the listener and well-formed polls. */
    private static int waitEnd(List<Entry> entries, int start, String listener) {
        int j = start;
        while (j < entries.size()) {
            NormalizedCall c = entries.get(j).call();
            boolean again = isAcceptEagain(c) && listener.equals(c.arg(0));
            if (!again && !PollFacts.isWellFormed(c)) break;
            j++;
        }
        return j;
    }

    /**
     * The wait's calls in order: each accept as compared, each poll by its form (what it found is
     * timing); a poll already entered when its round's EAGAIN came back is shown as such.
     */
    private static List<String> forms(List<Entry> calls) {
        List<String> forms = new ArrayList<>();
        Entry eagain = null;
        for (Entry e : calls) {
            if (isAcceptEagain(e.call())) eagain = e;
            if (!PollFacts.isPoll(e.call())) {
                forms.add(e.text());
            } else {
                forms.add((enteredBefore(e, eagain) ? ALREADY_POLLING : "") + PollFacts.form(e.call()));
            }
        }
        return forms;
    }

    static final String ALREADY_POLLING = "(already polling) ";

    /**
     * A poll that was entered before the accept that opens its round returned: another thread was
     * already blocked in the netpoller when the accept failed, and its poll ended the wait. Go lets
     * one M block in netpoll; an M that parks a goroutine while that is so makes no poll of its own
     * (runtime/proc.go findrunnable at go1.19: both the non-blocking netpoll(0) and the blocking
     * netpoll(delay) require sched.lastpoll != 0, which the blocked M has set to 0). So whether a
     * wait's round shows its own polls or only another M's is scheduling.
     */
    private static boolean enteredBefore(Entry poll, Entry eagain) {
        return eagain != null && PollFacts.isPoll(poll.call()) && !poll.sources().isEmpty() && !eagain.sources().isEmpty()
                && poll.sources().get(0).startLine() < eagain.sources().get(0).line();
    }

    /** An accept or accept4 call, finished or not. */
    static boolean isAcceptCall(NormalizedCall c) {
        return c != null && (c.name().equals("accept4") || c.name().equals("accept"));
    }

    private static boolean isAccept(NormalizedCall c) {
        return isAcceptCall(c) && !c.unfinished();
    }

    static boolean isAcceptEagain(NormalizedCall c) {
        return isAccept(c) && "EAGAIN".equals(c.errno());
    }

    static boolean isAcceptSuccess(NormalizedCall c) {
        return isAccept(c) && c.errno() == null && c.retNumber() != -1;
    }
}
