package dev.ffmecho.trace;

import java.util.List;

/**
 * One line of a normalized trace, the unit the diff compares: a single call, one line of a folded
 * transfer's summary, or another folded line (netpoll, an accept wait). {@code sources} are the
 * raw calls behind it, for line numbers and raw text in the diff (never part of the comparison);
 * {@code call} is the normalized call of a CALL entry (null otherwise), for the rules that need
 * its structure rather than its text.
 */
public record Entry(String text, List<Syscall> sources, Kind kind, NormalizedCall call) {

    public enum Kind { CALL, TRANSFER, FOLDED }

    public Entry {
        sources = List.copyOf(sources);
    }

    /** A line that is not a single call (a transfer's summary, a folded line). */
    public Entry(String text, List<Syscall> sources, Kind kind) {
        this(text, sources, kind, null);
    }

    /** A single call. */
    static Entry of(NormalizedCall c) {
        return new Entry(c.text(), List.of(c.source()), Kind.CALL, c);
    }

    /** The same entry compared under another text (a role renamed); sources and call are kept. */
    Entry withText(String newText) {
        return newText.equals(text) ? this : new Entry(newText, sources, kind, call);
    }

    /** Source line(s) of this entry: {@code 812}, {@code 812-815} (split call), {@code 812..840} (transfer). */
    public String lineRef() {
        if (sources.isEmpty()) return "-";
        if (kind == Kind.CALL) return sources.get(0).lineRef();
        int first = sources.stream().mapToInt(Syscall::startLine).min().orElse(0);
        int last = sources.stream().mapToInt(Syscall::line).max().orElse(0);
        return first == last ? String.valueOf(first) : first + ".." + last;
    }

    /** First source line, for sorting and display; 0 when none. */
    public int firstLine() {
        return sources.stream().mapToInt(Syscall::startLine).min().orElse(0);
    }

    /** The raw strace text behind a single-call entry (null for a folded line). */
    public String raw() {
        return kind == Kind.CALL && !sources.isEmpty() ? sources.get(0).raw() : null;
    }
}
