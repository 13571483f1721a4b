package dev.ffmecho.trace;

import dev.ffmecho.flags.Flags;
import dev.ffmecho.flags.UsageException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ffm-echo trace-diff ACTUAL [--reference go1.6|FILE] [--html OUT.html] [--explain] [--side-by-side]
 * [--normalized] [--concurrent]}
 *
 * <p>Normalizes an strace of ffm-echo and a reference trace of the Go program and diffs them: as
 * one sequence, or with --concurrent story by story ({@link ConcurrentStories}).
 * Exit 0: same stories; 1: different; 2: bad usage or unusable input, reported as one line on
 * stderr that names the problem and the fix (never a stack trace).
 */
public final class TraceDiffCommand {
    private TraceDiffCommand() {}

    static final String USAGE =
            "usage: ffm-echo trace-diff ACTUAL [--reference go1.6|FILE] [--html OUT.html] [--explain] [--side-by-side] [--normalized] [--concurrent]";

    /** Parsed command line. */
    record Options(String actual, String reference, String html, boolean explain, boolean sideBySide,
                   boolean normalized, boolean concurrent, boolean help) {}

    /** args = everything after "trace-diff". Returns the exit code: 0 equal, 1 different, 2 unreadable input / bad usage. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        try {
            Options o = parse(args);
            if (o.help()) {
                out.println(USAGE);
                out.println("Compares the network syscalls of an strace -f capture of ffm-echo with the Go reference;"
                        + " exit 0 equal, 1 different, 2 bad input.");
                return 0;
            }
            // The actual trace first: when both are unusable, the user's own file is the likelier fix.
            Stories actual = Stories.of(NormalizedTrace.load(Path.of(o.actual())), o.concurrent());
            if (o.normalized()) {
                printNormalized(actual, out);
                return 0;
            }
            References.Loaded ref = References.load(o.reference());
            DiffReport report = new DiffReport(Stories.of(ref.trace(), o.concurrent()), ref.label(), actual, o.actual());
            if (o.html() != null) writeHtml(Path.of(o.html()), HtmlRenderer.render(report));
            if (report.equal()) {
                out.println(report.verdict());
            } else if (o.sideBySide()) {
                SideBySideRenderer.render(report, out);
            } else {
                UnifiedRenderer.render(report, out);
            }
            if (o.explain()) ExplainRenderer.render(report, out);
            if (o.html() != null) out.println("trace-diff: side-by-side HTML written to " + o.html());
            out.flush();
            return report.equal() ? 0 : 1;
        } catch (UsageException e) {
            err.println("trace-diff: " + e.getMessage());
        } catch (TraceParseException e) {
            err.println("trace-diff: " + e.oneLine());
        } catch (InvalidPathException e) {
            err.println("trace-diff: invalid path " + e.getInput() + " (" + e.getReason() + "); " + USAGE);
        } catch (OutOfMemoryError e) {
            err.println("trace-diff: out of memory reading the trace; give the JVM more heap (-Xmx) or trim the trace");
        } catch (RuntimeException | StackOverflowError e) {
            err.println("trace-diff: internal error (" + e + "); please report it with the trace file");
        }
        err.flush();
        return 2;
    }

    static Options parse(List<String> args) throws UsageException {
        String actual = null;
        String reference = References.DEFAULT;
        String html = null;
        boolean explain = false;
        boolean sideBySide = false;
        boolean normalized = false;
        boolean concurrent = false;
        if (args == null) args = List.of();
        if (args.contains("-h") || args.contains("--help")) return new Options(null, null, null, false, false, false, false, true);
        Flags flags = new Flags(USAGE).valued("--reference", "--html").plain("--explain", "--side-by-side", "--normalized", "--concurrent");
        for (Flags.Arg arg : flags.parse(args)) {
            switch (arg.positional() ? "" : arg.flag()) {
                case "--explain" -> explain = true;
                case "--side-by-side" -> sideBySide = true;
                case "--normalized" -> normalized = true;
                case "--concurrent" -> concurrent = true;
                case "--reference" -> reference = arg.value();
                case "--html" -> html = arg.value();
                default -> {
                    String a = arg.value();
                    if (actual != null) {
                        throw new UsageException("one ACTUAL trace expected, got " + actual + " and " + a + "; " + USAGE);
                    }
                    if (a.isEmpty()) throw new UsageException("empty ACTUAL file name; " + USAGE);
                    actual = a;
                }
            }
        }
        if (actual == null) throw new UsageException("missing ACTUAL (the strace -f -o output of ffm-echo); " + USAGE);
        if (actual.equals("-")) throw new UsageException("reading a trace from stdin is not supported; pass the file; " + USAGE);
        return new Options(actual, reference, html, explain, sideBySide, normalized, concurrent, false);
    }

    /**
     * {@code --normalized}: the network story of ACTUAL exactly as the diff compares it (with
     * --concurrent, story by story under {@code # story} lines), the accept waits taken out of the
     * sequence if any, then the calls after the signal cut — the stable text that notes and
     * reviews can quote.
     */
    private static void printNormalized(Stories stories, PrintStream out) {
        for (Story s : stories.stories()) {
            if (stories.concurrent()) out.println("# " + s.kind().name().toLowerCase(java.util.Locale.ROOT) + " story"
                    + (s.role() == null ? "" : " " + s.role()) + ":");
            s.lines().forEach(out::println);
        }
        List<AcceptWaits.AcceptWait> between = stories.waitsBetweenAccepts();
        if (!between.isEmpty()) {
            out.println("# accept waits between accepts (compared by shape, not by position):");
            between.forEach(w -> out.println(w.asEntry().text()));
        }
        NormalizedTrace trace = stories.trace();
        if (!trace.trailer().isEmpty()) {
            out.println("# after " + trace.cutWhat() + " (not compared):");
            trace.trailer().forEach(e -> out.println(e.text()));
        }
        out.flush();
    }

    private static void writeHtml(Path file, String html) throws UsageException {
        try {
            Files.writeString(file, html, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UsageException("cannot write " + file + ": its directory does not exist; pass --html a writable path");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UsageException("cannot write " + file + ": permission denied; pass --html a writable path");
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + " (" + e.getMessage() + "); pass --html a writable path");
        }
    }
}
