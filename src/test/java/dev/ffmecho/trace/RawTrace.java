package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutations of raw strace -f captures that respect strace's split calls: a call printed as
 * {@code PID name(args <unfinished ...>} and completed later by {@code PID <... name resumed>...}
 * is one call, removed with both its lines (test helper, not a test class).
 */
final class RawTrace {
    private RawTrace() {}

    private static final String UNFINISHED = "<unfinished ...>";
    private static final Pattern START = Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)$");
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");

    /**
     * Removes the call whose first line is exactly {@code firstLine} (which must occur once), and
     * its {@code <... resumed>} line when it was split.
     */
    static String dropCall(String trace, String firstLine) {
        List<String> lines = lines(trace);
        int at = lines.indexOf(firstLine);
        if (at < 0 || lines.lastIndexOf(firstLine) != at) throw new AssertionError("expected exactly one line: " + firstLine);
        Matcher m = START.matcher(firstLine);
        if (!m.matches()) throw new AssertionError("not a call: " + firstLine);
        List<Integer> drop = new ArrayList<>(List.of(at));
        if (firstLine.endsWith(UNFINISHED)) {
            String resumed = m.group(1) + " <... " + m.group(2) + " resumed>";
            int end = at + 1;
            while (end < lines.size() && !lines.get(end).replaceAll("\\s+", " ").startsWith(resumed)) end++;
            if (end == lines.size()) throw new AssertionError("no resumed half for: " + firstLine);
            drop.add(end);
        }
        for (int i = drop.size() - 1; i >= 0; i--) lines.remove((int) drop.get(i));
        return String.join("\n", lines) + "\n";
    }

    /**
     * Removes lines {@code from}..{@code to} (1-based, inclusive) after checking that the first of
     * them is {@code expectedFirst}: for calls whose text occurs more than once in a trace.
     */
    static String dropLines(String trace, int from, int to, String expectedFirst) {
        List<String> lines = lines(trace);
        if (!lines.get(from - 1).equals(expectedFirst)) {
            throw new AssertionError("line " + from + " is " + lines.get(from - 1) + ", not " + expectedFirst);
        }
        lines.subList(from - 1, to).clear();
        return String.join("\n", lines) + "\n";
    }

    /**
     * Replaces line {@code n} (1-based), which must be {@code expected}, by {@code replacement}
     * (several lines when it contains newlines).
     */
    static String replaceLine(String trace, int n, String expected, String replacement) {
        List<String> lines = lines(trace);
        if (!lines.get(n - 1).equals(expected)) throw new AssertionError("line " + n + " is " + lines.get(n - 1) + ", not " + expected);
        lines.set(n - 1, replacement);
        return String.join("\n", lines) + "\n";
    }

    /**
     * Removes one connection: every call on fd {@code fd} from the accept4 that returned it to the
     * close that ended it (the accept and the close included), as if that client never came.
     */
    static String dropConnection(String trace, int fd) {
        List<String> lines = lines(trace);
        boolean[] drop = new boolean[lines.size()];
        Map<String, Integer> pending = new HashMap<>();
        String f = Integer.toString(fd);
        boolean open = false;
        int dropped = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher r = RESUMED.matcher(line);
            Matcher s = START.matcher(line);
            int first;
            String name;
            String args;
            if (r.matches()) {
                Integer st = pending.remove(r.group(1));
                if (st == null) continue;
                Matcher head = START.matcher(lines.get(st));
                if (!head.matches()) continue;
                first = st;
                name = r.group(2);
                args = head.group(3).replace(UNFINISHED, "").strip() + r.group(3);
            } else if (s.matches()) {
                if (line.endsWith(UNFINISHED)) {
                    pending.put(s.group(1), i);
                    continue;
                }
                first = i;
                name = s.group(2);
                args = s.group(3);
            } else {
                continue;
            }
            boolean accepted = name.equals("accept4") && args.matches(".*\\)\\s*= " + f + "$");
            if (accepted) open = true;
            if (!open || !(accepted || involves(name, args, f))) continue;
            drop[first] = true;
            drop[i] = true;
            dropped++;
            if (name.equals("close")) open = false;
        }
        if (dropped < 3) throw new AssertionError("fd " + fd + " is not a connection of this trace");
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) if (!drop[i]) kept.add(lines.get(i));
        return String.join("\n", kept) + "\n";
    }

    /** Whether a call names fd {@code f} where these calls take a socket: first argument, or epoll_ctl's/splice's third. */
    private static boolean involves(String name, String args, String f) {
        List<String> a = Arrays.stream(args.split(",")).map(x -> x.strip().replaceAll("\\).*$", "")).toList();
        boolean third = (name.equals("epoll_ctl") || name.equals("splice")) && a.size() > 2 && a.get(2).equals(f);
        return a.get(0).equals(f) || third;
    }

    private static List<String> lines(String trace) {
        return new ArrayList<>(trace.lines().toList());
    }
}
