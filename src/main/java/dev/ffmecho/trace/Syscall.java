package dev.ffmecho.trace;

/**
 * One system call as strace printed it, after joining an {@code <unfinished ...>} line with its
 * {@code <... NAME resumed>} line.
 *
 * @param pid        thread id from the -f prefix (0 without one)
 * @param name       syscall name, e.g. {@code accept4}
 * @param args       the argument text between the parentheses, exactly as printed (joined halves)
 * @param headArgs   for a call strace split, the arguments printed at entry (before
 *                   {@code <unfinished ...>}); null when the call was printed on one line.
 *                   An unfinished call is shown with only these, as strace shows it.
 * @param ret        return value text ({@code 5}, {@code -1}, {@code ?}, {@code 0x7f..}); null while
 *                   the call never completed in the file
 * @param errno      errno name ({@code EAGAIN}) or null
 * @param errnoText  strace's description of the errno ({@code Resource temporarily unavailable}) or null
 * @param extra      anything else strace appended after the value, e.g. {@code (Timeout)}, or null
 * @param startLine  1-based line where the call started
 * @param endLine    1-based line where it completed; 0 when it never completed in the file
 * @param raw        the source line (for a joined call: the start line, " … ", the resumed line)
 */
public record Syscall(int pid, String name, String args, String headArgs, String ret, String errno,
                      String errnoText, String extra, int startLine, int endLine, String raw)
        implements TraceEvent {

    /** A call whose completion is not in the file (the process died or the trace ended first). */
    public boolean unfinished() { return ret == null; }

    @Override public int line() { return endLine > 0 ? endLine : startLine; }

    /** The return value as a number, or {@code Long.MIN_VALUE} when it is not one ({@code ?}, hex). */
    public long retNumber() {
        if (ret == null) return Long.MIN_VALUE;
        try {
            return Long.parseLong(ret);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    /** Human line reference: {@code 123} or {@code 123-125} for a split call. */
    public String lineRef() {
        return endLine > 0 && endLine != startLine ? startLine + "-" + endLine : String.valueOf(startLine);
    }
}
