package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading strace argument text structurally. strace prints C values: quoted strings with
 * backslash escapes (which may contain commas and brackets), and nested {@code {}}, {@code []},
 * {@code ()}. A regex over the whole line would split {@code "a,b"} or {@code {u32=1, u64=1}};
 * these helpers track string and bracket state so a comma only separates at depth 0.
 * Nothing here throws on malformed text: unbalanced input just yields fewer, longer pieces.
 */
final class ArgList {
    private ArgList() {}

    /** Splits on top-level commas and trims each piece; an empty or trailing-comma tail is dropped. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) return out;
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                i = skipString(text, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(text.substring(start, i).strip());
                start = i + 1;
            }
        }
        String last = text.substring(start).strip();
        if (!last.isEmpty()) out.add(last);
        return out;
    }

    static String join(List<String> args) {
        return String.join(", ", args);
    }

    /**
     * Given text that starts just inside an open parenthesis (depth 1), returns the index of the
     * parenthesis that closes it, or -1 when the text ends first (an {@code <unfinished ...>} call
     * or a malformed line).
     */
    static int closingParen(String text, int from) {
        int depth = 1;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                i = skipString(text, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) return c == ')' ? i : -1;
            }
        }
        return -1;
    }

    /** Index of the closing quote of the string opening at {@code open} (or the last index). */
    static int skipString(String text, int open) {
        for (int i = open + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return text.length() - 1;
    }

    /** True for a strace string value, possibly truncated: {@code "abc"} or {@code "abc"...}. */
    static boolean isString(String arg) {
        if (arg.length() < 2 || arg.charAt(0) != '"') return false;
        int close = skipString(arg, 0);
        String rest = arg.substring(close + 1);
        return arg.charAt(close) == '"' && close > 0 && (rest.isEmpty() || rest.equals("..."));
    }

    /**
     * Replaces matches of {@code pattern} that lie outside quoted strings (so a pointer-looking
     * {@code "0x12345"} payload is left alone). Returns the new text; {@code hits[0]} counts.
     */
    static String replaceOutsideStrings(String text, Pattern pattern, Function<MatchResult, String> f, int[] hits) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            int q = text.indexOf('"', i);
            int segEnd = q < 0 ? text.length() : q;
            out.append(replaceAll(text.substring(i, segEnd), pattern, f, hits));
            if (q < 0) break;
            int close = skipString(text, q);
            out.append(text, q, close + 1);
            i = close + 1;
        }
        return out.toString();
    }

    private static String replaceAll(String s, Pattern p, Function<MatchResult, String> f, int[] hits) {
        Matcher m = p.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            hits[0]++;
            m.appendReplacement(sb, Matcher.quoteReplacement(f.apply(m.toMatchResult())));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * Parses a plain decimal fd/size argument, or returns -1 when the argument is anything else.
     * An fd decorated by strace -y/-yy ({@code 5<socket:[1234]>}, {@code 3</etc/passwd>}) counts
     * as its number: the decoration is what the fd is, which the story works out by itself.
     */
    static int plainInt(String arg) {
        if (arg == null || arg.isEmpty()) return -1;
        int end = arg.length();
        int lt = arg.indexOf('<');
        if (lt > 0 && arg.endsWith(">")) end = lt;
        if (end > 9) return -1;
        for (int i = 0; i < end; i++) {
            if (!Character.isDigit(arg.charAt(i))) return -1;
        }
        return Integer.parseInt(arg.substring(0, end));
    }

    /** {@code [6, 7]} (pipe2/socketpair output) as two ints, or null. */
    static int[] intPair(String arg) {
        if (arg == null || !arg.startsWith("[") || !arg.endsWith("]")) return null;
        List<String> parts = split(arg.substring(1, arg.length() - 1));
        if (parts.size() != 2) return null;
        int a = plainInt(parts.get(0));
        int b = plainInt(parts.get(1));
        return a < 0 || b < 0 ? null : new int[] {a, b};
    }
}
