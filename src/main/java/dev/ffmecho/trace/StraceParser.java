package dev.ffmecho.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads strace output (4.x and 6.x, {@code -f}/{@code -ff} prefixes, {@code -t/-tt/-ttt/-r}
 * timestamps, {@code -T} durations, {@code -i} addresses) into {@link TraceEvent}s.
 *
 * <p>Calls are handed out in the order they <em>completed</em>: a one-line call at its line, a
 * split call at its {@code <... NAME resumed>} line. That is the order the kernel handed out fd
 * numbers, which is what fd tracking needs when another thread closes and reuses a number while
 * one thread sits in {@code accept4}. Calls that never complete are handed out at the end, in
 * start order, with {@code ret == null}.
 *
 * <p>Robustness contract: on any input the parser either returns or throws
 * {@link TraceParseException}; a line it does not understand is skipped and counted, never fatal.
 */
public final class StraceParser {

    /** What the parser saw, besides the events. */
    public record Stats(int lines, int syscalls, int statusLines, int comments, int skipped, int firstSkippedLine) {}

    /** Events plus stats, for callers that want the whole list (tests, small traces). */
    public record Result(List<TraceEvent> events, Stats stats, RuleCounts counts) {}

    private static final Pattern PID_BRACKET = Pattern.compile("^\\[pid\\s+(\\d+)\\]\\s*");
    private static final Pattern PID_PLAIN = Pattern.compile("^(\\d{1,9})\\s+(?=\\S)");
    private static final Pattern TIMESTAMP =
            Pattern.compile("^(?:\\d{1,2}:\\d{2}:\\d{2}(?:\\.\\d+)?|\\d+\\.\\d+)\\s+(?=\\S)");
    private static final Pattern INSTRUCTION_POINTER = Pattern.compile("^\\[[0-9a-f]{8,16}\\]\\s+");
    private static final Pattern CALL_START = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*|\\?\\?\\?)\\(");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. ([A-Za-z_][A-Za-z0-9_]*|\\?\\?\\?) resumed>");
    /** What ffm-echo --narrate puts between a call and the Go function it mirrors. */
    private static final String NARRATION_MARK = "  \u2190 ";
    /** The same, as its UTF-8 bytes read through the Latin-1 decoding traces are loaded with. */
    private static final String NARRATION_MARK_READ_AS_LATIN1 =
            new String(NARRATION_MARK.getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.ISO_8859_1);
    private static final Pattern DURATION = Pattern.compile("\\s*<(?:\\d+\\.\\d+|unavailable)>$");
    private static final Pattern ERRNO = Pattern.compile("^([A-Z][A-Z0-9_]+)(?:\\s+\\((.*)\\))?$");
    private static final Pattern SIGNAL = Pattern.compile("^--- (SIG[A-Z0-9_+-]+)\\b.*---$");
    private static final Pattern KILLED = Pattern.compile("^\\+\\+\\+ killed by (SIG[A-Z0-9_+-]+)\\b.*\\+\\+\\+$");
    private static final Pattern DECORATED_FD = Pattern.compile("^(\\d+)<.*>$");
    private static final String UNFINISHED = "<unfinished ...>";
    /**
     * What strace appends to a result it forged with {@code -e inject=…} (strace(1), "Tampering"):
     * {@code = -1 ECONNABORTED (Software caused connection abort) (INJECTED)}, or {@code = 42 (INJECTED)}
     * for a forged return value. Kept as the call's {@link Syscall#extra}, so a normalized line still
     * says the result was forged; both sides of a fault-injection diff carry the same injection.
     */
    static final String INJECTED = "(INJECTED)";

    private final String source;
    private final Consumer<TraceEvent> sink;
    private final RuleCounts counts;
    /** Calls printed with {@code <unfinished ...>} and not yet resumed, per pid. */
    private final Map<Integer, Pending> pending = new HashMap<>();

    private int lineNo;
    private int syscalls;
    private int statusLines;
    private int comments;
    private int skipped;
    private int firstSkipped;
    private int firstContentLine;

    private record Pending(int pid, String name, String head, int line, String raw) {}

    /** The part of a line after its prefixes, plus the pid the prefix named (0 if none). */
    private record Body(int pid, String text) {}

    private StraceParser(String source, Consumer<TraceEvent> sink, RuleCounts counts) {
        this.source = source;
        this.sink = sink;
        this.counts = counts;
    }

    /** Parses everything into a list (the file is held in memory; fine for tests and references). */
    public static Result parse(String source, List<String> lines) throws TraceParseException {
        List<TraceEvent> events = new ArrayList<>();
        RuleCounts counts = new RuleCounts();
        StraceParser p = new StraceParser(source, events::add, counts);
        for (String line : lines) p.feed(line);
        Stats stats = p.finish();
        return new Result(events, stats, counts);
    }

    /** Streams a file through {@code sink}; only pending split calls are held in memory. */
    public static Stats parse(String source, BufferedReader in, Consumer<TraceEvent> sink, RuleCounts counts)
            throws TraceParseException {
        StraceParser p = new StraceParser(source, sink, counts);
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) p.feed(line);
        } catch (IOException e) {
            throw new TraceParseException(source, p.lineNo + 1, "cannot read: " + e.getMessage());
        }
        return p.finish();
    }

    private void feed(String line) throws TraceParseException {
        lineNo++;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\r' && c != '\f') {
                throw new TraceParseException(source, lineNo,
                        "binary data (control byte 0x%02x), not strace output; pass the text file written by strace -f -o FILE"
                                .formatted((int) c));
            }
        }
        String text = line.strip();
        int origin = text.indexOf(NARRATION_MARK);
        if (origin < 0) origin = text.indexOf(NARRATION_MARK_READ_AS_LATIN1);
        if (origin > 0) {
            text = text.substring(0, origin).strip();
            counts.inc(Rule.NARRATION_ORIGIN);
        }
        if (text.isEmpty()) return;
        if (firstContentLine == 0) firstContentLine = lineNo;
        if (text.startsWith("#")) {
            comments++;
            return;
        }
        boolean understood;
        try {
            understood = parseLine(text, line);
            if (!understood) {
                // strace -f writing to stderr shares the terminal with the program: its own output
                // without a newline ("--> binding to :10020" + "[pid  7153] socket(...)") glues to
                // the front of a strace line. Recover the strace part.
                int glued = text.indexOf("[pid ", 1);
                if (glued > 0) understood = parseLine(text.substring(glued), line);
            }
        } catch (RuntimeException e) {
            // A shape we did not foresee: skipping one line must never cost the whole diff.
            understood = false;
        }
        if (!understood) {
            skipped++;
            if (firstSkipped == 0) firstSkipped = lineNo;
        }
    }

    private Stats finish() throws TraceParseException {
        if (firstContentLine == 0) {
            throw new TraceParseException(source, 0,
                    "empty file, no strace lines in it; capture one with: strace -f -o FILE java --enable-native-access=ALL-UNNAMED -jar ffm-echo.jar");
        }
        if (syscalls == 0 && pending.isEmpty()) {
            int blame = firstSkipped > 0 ? firstSkipped : firstContentLine;
            String what = comments > 0 && skipped == 0 && statusLines == 0 ? "only comments, no system calls"
                    : "not strace output: no line looks like 'name(args) = result'";
            throw new TraceParseException(source, blame,
                    what + "; pass the file written by strace -f -o FILE");
        }
        // Calls still pending at EOF never completed (the process died in them, or the trace was
        // cut): hand them out in start order so the story can show them as <unfinished>.
        List<Pending> left = new ArrayList<>(pending.values());
        left.sort(Comparator.comparingInt(Pending::line));
        for (Pending p : left) {
            syscalls++;
            sink.accept(new Syscall(p.pid, p.name, p.head, p.head, null, null, null, null, p.line, 0, p.raw));
        }
        pending.clear();
        return new Stats(lineNo, syscalls, statusLines, comments, skipped, firstSkipped);
    }

    /** @return false when the line is not strace output we recognize */
    private boolean parseLine(String text, String raw) {
        Body body = stripPrefixes(text);
        String b = body.text();
        if (b.startsWith("--- ") && b.endsWith("---")) {
            Matcher m = SIGNAL.matcher(b);
            statusLines++;
            if (m.matches()) sink.accept(new TraceEvent.Signal(body.pid(), m.group(1), lineNo, raw));
            return true;
        }
        if (b.startsWith("+++ ") && b.endsWith("+++")) {
            Matcher m = KILLED.matcher(b);
            statusLines++;
            sink.accept(new TraceEvent.Exit(body.pid(), m.matches() ? m.group(1) : null, lineNo, raw));
            return true;
        }
        if (b.startsWith("strace: ")) {
            statusLines++;
            return true;
        }
        Matcher resumed = RESUMED.matcher(b);
        if (resumed.find()) return parseResumed(body.pid(), resumed.group(1), b.substring(resumed.end()), raw);
        Matcher call = CALL_START.matcher(b);
        if (call.find()) return parseCall(body.pid(), call.group(1), b.substring(call.end()), raw);
        return false;
    }

    private Body stripPrefixes(String text) {
        int pid = 0;
        String t = text;
        Matcher m = PID_BRACKET.matcher(t);
        if (m.find()) {
            pid = Integer.parseInt(m.group(1));
            t = t.substring(m.end());
            counts.inc(Rule.PID_PREFIX);
        } else if ((m = PID_PLAIN.matcher(t)).find()) {
            pid = Integer.parseInt(m.group(1));
            t = t.substring(m.end());
            counts.inc(Rule.PID_PREFIX);
        }
        m = TIMESTAMP.matcher(t);
        if (m.find()) {
            t = t.substring(m.end());
            counts.inc(Rule.TIMESTAMP);
        }
        m = INSTRUCTION_POINTER.matcher(t);
        if (m.find()) t = t.substring(m.end());
        return new Body(pid, t);
    }

    /** {@code name(args) = ret ...} or {@code name(args <unfinished ...>}; {@code rest} follows "(". */
    private boolean parseCall(int pid, String name, String rest, String raw) {
        int close = ArgList.closingParen(rest, 0);
        String trimmed = rest.stripTrailing();
        if (trimmed.endsWith(UNFINISHED)) {
            String head = trimmed.substring(0, trimmed.length() - UNFINISHED.length());
            if (close >= 0 && close < head.length()) head = head.substring(0, close); // "exit(0) <unfinished ...>"
            Pending old = pending.put(pid, new Pending(pid, name, head.strip(), lineNo, raw));
            if (old != null) emitNeverResumed(old);
            return true;
        }
        if (close < 0) return false;
        return complete(pid, name, rest.substring(0, close), null, rest.substring(close + 1), lineNo, raw);
    }

    /** {@code <... name resumed>tail) = ret}: joins with the pending head of the same pid. */
    private boolean parseResumed(int pid, String name, String rest, String raw) {
        int close = ArgList.closingParen(rest, 0);
        if (close < 0) return false;
        Pending p = pending.get(pid);
        if (p == null || !p.name.equals(name)) {
            // Before a second thread exists strace -f to stderr prints no [pid N] prefix, after it
            // does: the first thread's call may have started unprefixed (pid 0).
            Pending unprefixed = pending.get(0);
            if (unprefixed != null && unprefixed.name.equals(name)) p = unprefixed;
        }
        String tail = rest.substring(0, close);
        if (p == null || !p.name.equals(name)) {
            // Orphan half (trace attached mid-call): keep what we have so the call is not lost.
            return complete(pid, name, tail.strip(), null, rest.substring(close + 1), lineNo, raw);
        }
        pending.remove(p.pid);
        counts.inc(Rule.RESUMED_JOIN);
        String args = joinHalves(p.head, tail);
        return complete(pid, name, args, p.head, rest.substring(close + 1),
                p.line, p.raw.strip() + "  …  " + raw.strip());
    }

    static String joinHalves(String head, String tail) {
        String h = head.strip();
        String t = tail.strip();
        if (h.isEmpty()) return t;
        if (t.isEmpty()) return h;
        return h + " " + t;
    }

    private boolean complete(int pid, String name, String args, String head, String afterParen, int startLine, String raw) {
        String after = afterParen;
        int eq = after.indexOf('=');
        if (eq < 0 || !after.substring(0, eq).isBlank()) return false;
        if (eq >= 2) counts.inc(Rule.COLUMN_PADDING);
        String result = after.substring(eq + 1).strip();
        Matcher d = DURATION.matcher(result);
        if (d.find()) {
            result = result.substring(0, d.start()).strip();
            counts.inc(Rule.DURATION);
        }
        if (result.isEmpty()) return false;
        int sp = result.indexOf(' ');
        String ret = sp < 0 ? result : result.substring(0, sp);
        Matcher decorated = DECORATED_FD.matcher(ret);
        if (decorated.matches()) ret = decorated.group(1);  // strace -y: "5<socket:[1234]>"
        String tail = sp < 0 ? "" : result.substring(sp + 1).strip();
        boolean injected = tail.endsWith(INJECTED);
        if (injected) tail = tail.substring(0, tail.length() - INJECTED.length()).strip();
        String errno = null;
        String errnoText = null;
        String extra = null;
        if (!tail.isEmpty()) {
            Matcher e = ERRNO.matcher(tail);
            if (e.matches()) {
                errno = e.group(1);
                errnoText = e.group(2);
            } else {
                extra = tail;
            }
        }
        if (injected) extra = extra == null ? INJECTED : extra + " " + INJECTED;
        syscalls++;
        sink.accept(new Syscall(pid, name, args.strip(), head, ret, errno, errnoText, extra, startLine, lineNo, raw));
        return true;
    }

    /** A pending call replaced by a new one on the same pid (malformed input): it never completed. */
    private void emitNeverResumed(Pending p) {
        syscalls++;
        sink.accept(new Syscall(p.pid, p.name, p.head, p.head, null, null, null, null, p.line, 0, p.raw));
    }
}
