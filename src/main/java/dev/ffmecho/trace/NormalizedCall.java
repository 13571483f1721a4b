package dev.ffmecho.trace;

import java.util.List;

/**
 * A network call after every per-call rule: the text two traces are compared on, plus the
 * structure the transfer folder needs (name, args, result) and the source line it came from.
 *
 * @param unfinished true when the call was still blocked at the cut / end of trace
 */
public record NormalizedCall(String name, List<String> args, String ret, String errno, String extra,
                             boolean unfinished, Syscall source) {

    public NormalizedCall {
        args = List.copyOf(args);
    }

    /** {@code name(a, b) = ret ERRNO}, or {@code name(a, <unfinished>} for a blocked call. */
    public String text() {
        StringBuilder sb = new StringBuilder(name).append('(').append(ArgList.join(args));
        if (unfinished) {
            return sb.append(args.isEmpty() ? "" : ", ").append("<unfinished>").toString();
        }
        sb.append(") = ").append(ret);
        if (errno != null) sb.append(' ').append(errno);
        if (extra != null) sb.append(' ').append(extra);
        return sb.toString();
    }

    /** The return value as a number, or {@code Long.MIN_VALUE}. */
    long retNumber() {
        if (ret == null) return Long.MIN_VALUE;
        try {
            return Long.parseLong(ret);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    String arg(int i) { return i < args.size() ? args.get(i) : null; }

    @Override public String toString() { return text(); }
}
