package dev.ffmecho.trace;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Shared helpers for the trace tests (not a test class itself). */
final class Fixtures {
    private Fixtures() {}

    /** Reads a resource of the trace package (test or main resources). */
    static String resource(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/dev/ffmecho/trace/" + name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UTF-8 text resource (golden files). */
    static String utf8Resource(String name) {
        return new String(resource(name).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** The bundled go1.6 reference, as text. */
    static String go16() { return resource("go1.6.strace"); }

    /** A 6.x, -f, JVM-noise trace of ffm-echo that is equivalent to the go1.6 reference. */
    static String ffmEchoGo16() { return resource("ffm-echo-go16.strace"); }

    static NormalizedTrace norm(String text) {
        try {
            return NormalizedTrace.of("test.strace", text);
        } catch (TraceParseException e) {
            throw new AssertionError(e.oneLine(), e);
        }
    }

    /** The compared normalized lines of a trace given as lines. */
    static List<String> normLines(String... lines) {
        return norm(String.join("\n", lines) + "\n").lines();
    }

    static StraceParser.Result parse(String... lines) {
        try {
            return StraceParser.parse("test.strace", Arrays.asList(lines));
        } catch (TraceParseException e) {
            throw new AssertionError(e.oneLine(), e);
        }
    }

    static List<Syscall> syscalls(StraceParser.Result r) {
        List<Syscall> out = new ArrayList<>();
        for (TraceEvent e : r.events()) if (e instanceof Syscall s) out.add(s);
        return out;
    }

    /** Result of running the command: exit code and what it printed. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            code = TraceDiffCommand.run(List.of(args), out, err);
        }
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** trace-diff of two traces given as text (written to {@code dir}): ACTUAL --reference REFERENCE OPTIONS… */
    static Run diffTexts(Path dir, String actualText, String referenceText, String... options) {
        Path actual = write(dir, "actual.strace", actualText);
        Path reference = write(dir, "reference.strace", referenceText);
        List<String> args = new ArrayList<>(List.of(actual.toString(), "--reference", reference.toString()));
        args.addAll(List.of(options));
        return run(args.toArray(String[]::new));
    }

    /** The '-'/'+' lines of a unified diff (not the ---/+++ header). */
    static List<String> changes(String out) {
        return out.lines().filter(l -> (l.startsWith("-") || l.startsWith("+"))
                && !l.startsWith("---") && !l.startsWith("+++")).toList();
    }

    static Path write(Path dir, String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, text, StandardCharsets.ISO_8859_1);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces exactly one occurrence of {@code from} (fails the test when there is not exactly one). */
    static String replaceOnce(String text, String from, String to) {
        int i = text.indexOf(from);
        if (i < 0 || text.indexOf(from, i + 1) >= 0) {
            throw new AssertionError("expected exactly one occurrence of: " + from);
        }
        return text.substring(0, i) + to + text.substring(i + from.length());
    }

    /** The standard listener prologue (6.x) so small test traces have a network story. */
    static final String[] LISTENER = {
        "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
        "epoll_create1(EPOLL_CLOEXEC) = 6",
    };

    static String[] concat(String[]... parts) {
        List<String> all = new ArrayList<>();
        for (String[] p : parts) all.addAll(Arrays.asList(p));
        return all.toArray(String[]::new);
    }
}
