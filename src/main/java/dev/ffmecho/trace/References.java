package dev.ffmecho.trace;

import dev.ffmecho.flags.UsageException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a {@code --reference} comes from: the bundled go1.6 trace (the 2016 study note's strace
 * excerpts plus the echo/close phase derived from Go 1.6 source), a bundled live Go capture
 * ({@code PROFILE-MODE-CLIENTS}, made for {@code ffm-echo verify}), or a file.
 */
final class References {
    private References() {}

    static final String DEFAULT = "go1.6";
    static final String GO16_RESOURCE = "/dev/ffmecho/trace/go1.6.strace";
    static final String CAPTURES = "/dev/ffmecho/trace/";

    /** A loaded reference and how to name it in output. */
    record Loaded(NormalizedTrace trace, String label) {}

    static Loaded load(String spec) throws TraceParseException, UsageException {
        if (spec.equals("go1.6")) {
            InputStream in = References.class.getResourceAsStream(GO16_RESOURCE);
            if (in == null) throw new UsageException("the bundled go1.6 reference is missing from the jar; rebuild ffm-echo");
            return new Loaded(NormalizedTrace.load("go1.6", in),
                    "go1.6 (bundled: 2016 study note's strace + echo/close phase from Go 1.6 source)");
        }
        Loaded capture = bundledCapture(spec);
        if (capture != null) return capture;
        if (spec.equals("go1.19")) {
            throw new UsageException("go1.19 has no bundled reference (its reference is a live Go trace captured by"
                    + " the test suite); pass --reference FILE");
        }
        Path p = Path.of(spec);
        if (!Files.exists(p) && spec.matches("go\\d+(\\.\\d+)*")) {
            throw new UsageException(spec + " is not a bundled reference (bundled: go1.6, and live captures named PROFILE-MODE-CLIENTS"
                    + " such as go1.19-sequential-serial); pass --reference FILE");
        }
        return new Loaded(NormalizedTrace.load(p), spec);
    }

    /**
     * A live capture bundled for {@code ffm-echo verify}, e.g. {@code go1.19-goroutine-concurrent-4}
     * (its header says which Go, program, client and strace made it), or null when there is none.
     */
    private static Loaded bundledCapture(String spec) throws TraceParseException {
        if (!spec.matches("go\\d+\\.\\d+-[a-z]+-[a-z0-9-]+")) return null;
        InputStream in = References.class.getResourceAsStream(CAPTURES + spec + ".strace");
        if (in == null) return null;
        return new Loaded(NormalizedTrace.load(spec, in), spec + " (bundled live Go capture)");
    }
}
