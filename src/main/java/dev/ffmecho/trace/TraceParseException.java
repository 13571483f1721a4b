package dev.ffmecho.trace;

/**
 * The only exception the trace reader lets out: input that cannot be used as a trace (missing,
 * unreadable, binary, empty, not strace output, no network story). It always carries a message
 * that names the problem and the fix, and, where one line is to blame, that line's number, so
 * {@link TraceDiffCommand} can print it as one {@code trace-diff: FILE:LINE: ...} line.
 */
public final class TraceParseException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;

    /** @param line 1-based line to blame, or 0 when the file as a whole is the problem */
    public TraceParseException(String source, int line, String message) {
        super(message);
        this.source = source;
        this.line = line;
    }

    public String source() { return source; }

    public int line() { return line; }

    /** {@code FILE:LINE: message} (or {@code FILE: message}), the form printed after "trace-diff: ". */
    public String oneLine() {
        return source + (line > 0 ? ":" + line : "") + ": " + getMessage();
    }
}
