package dev.ffmecho.trace;

import java.util.List;

/**
 * One line of a normalized trace, the unit the diff compares: a single call, or one line of a
 * folded transfer's summary. {@code sources} are the raw calls behind it, for line numbers and
 * raw text in the diff (never part of the comparison).
 */
public record Entry(String text, List<Syscall> sources, Kind kind) {

    public enum Kind { CALL, TRANSFER }

    public Entry {
        sources = List.copyOf(sources);
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

    /** The raw strace text behind a single-call entry (null for a transfer summary). */
    public String raw() {
        return kind == Kind.CALL && !sources.isEmpty() ? sources.get(0).raw() : null;
    }
}
