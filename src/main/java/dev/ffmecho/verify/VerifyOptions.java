package dev.ffmecho.verify;

import dev.ffmecho.flags.Flags;
import dev.ffmecho.flags.UsageException;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code ffm-echo verify [--profile P] [--mode M] [--clients C] [--go PATH] [--html OUT.html] [--keep DIR]},
 * parsed. Flags take their value as the next argument or after {@code =}. {@code go} is null when
 * the comparison is against a bundled reference; {@code html} and {@code keep} are null when not asked for.
 */
record VerifyOptions(String profile, String mode, Clients clients, Path go, Path html, Path keep, boolean help) {
    static final String USAGE = "usage: ffm-echo verify [--profile go1.6|go1.19|go1.23] [--mode sequential|goroutine]"
            + " [--clients serial|back-to-back|concurrent[=N]] [--go PATH] [--html OUT.html] [--keep DIR]";

    static final Set<String> PROFILES = Set.of("go1.6", "go1.19", "go1.23");
    static final Set<String> MODES = Set.of("sequential", "goroutine");

    static VerifyOptions parse(List<String> args) throws VerifyException {
        String profile = "go1.6";
        String mode = "sequential";
        Clients clients = null;
        Path go = null;
        Path html = null;
        Path keep = null;
        if (args.contains("--help") || args.contains("-h")) {
            return new VerifyOptions(profile, mode, Clients.SERIAL, null, null, null, true);
        }
        List<Flags.Arg> parsed;
        try {
            parsed = new Flags(USAGE).valued("--profile", "--mode", "--clients", "--go", "--html", "--keep").parse(args);
        } catch (UsageException e) {
            throw VerifyException.cannotRun(e.getMessage());
        }
        for (Flags.Arg arg : parsed) {
            String flag = arg.flag();
            String value = arg.value();
            switch (arg.positional() ? "" : flag) {
                case "--profile" -> profile = oneOf(flag, value, PROFILES);
                case "--mode" -> mode = mode(value);
                case "--clients" -> clients = Clients.parse(value);
                case "--go" -> go = path(flag, value);
                case "--html" -> html = path(flag, value);
                case "--keep" -> keep = path(flag, value);
                default -> throw bad("unexpected argument " + value + " (verify takes only options)");
            }
        }
        return new VerifyOptions(profile, mode, clients != null ? clients : Clients.defaultFor(mode), go, html, keep, false);
    }

    /** The Go program that is this mode's twin: the study program, or Go's concurrent echo server. */
    String goProgram() {
        return mode.equals("goroutine") ? "concurrent" : "study";
    }

    /** Connections that overlap in time, or threads that poll in turn: compare with trace-diff --concurrent. */
    boolean concurrentDiff() {
        return mode.equals("goroutine") || clients.overlapping();
    }

    private static String mode(String value) throws VerifyException {
        if (value.equals("eventloop")) {
            throw bad("--mode eventloop has no Go twin to compare with (it is the throughput mode, not a Go shape):"
                    + " verify sequential or goroutine");
        }
        return oneOf("--mode", value, MODES);
    }

    private static String oneOf(String flag, String value, Set<String> allowed) throws VerifyException {
        if (!allowed.contains(value)) {
            throw bad(flag + " " + value + " is not one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return value;
    }

    private static Path path(String flag, String value) throws VerifyException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw bad(flag + " " + value + " is not a usable path (" + e.getReason() + ")");
        }
    }

    private static VerifyException bad(String problem) {
        return VerifyException.cannotRun(problem + "; " + USAGE);
    }
}
