package dev.ffmecho.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The live Go captures shipped in the jar under {@value #DIR}: one per profile × mode × client
 * shape that {@code verify} offers without {@code --go}, each named
 * {@code PROFILE-MODE-CLIENTS.strace} (e.g. {@code go1.19-goroutine-concurrent-4.strace}) and
 * loadable by {@code trace-diff --reference NAME} too. Each starts with a {@code #} header
 * saying how it was captured; its {@code # go version:} line says which Go.
 */
final class BundledReference {
    static final String DIR = "/dev/ffmecho/trace/";
    static final List<String> PROFILES = List.of("go1.6", "go1.19", "go1.23");
    /** What was captured for each profile: the study program's two shapes and Go's concurrent shape. */
    static final List<String> SHAPES = List.of("sequential-serial", "sequential-back-to-back", "goroutine-concurrent-4");

    private BundledReference() {}

    /** Every bundled name, e.g. {@code go1.6-sequential-serial}. */
    static List<String> names() {
        return PROFILES.stream().flatMap(p -> SHAPES.stream().map(s -> p + "-" + s)).toList();
    }

    static String name(VerifyOptions o) {
        return o.profile() + "-" + o.mode() + "-" + o.clients().key();
    }

    /** The bundled reference for these options, or why there is none and what to do instead. */
    static String forOptions(VerifyOptions o) throws VerifyException {
        String name = name(o);
        if (names().contains(name) && bundled(name)) return name;
        if (o.clients().overlapping() && o.clients().count() != Clients.DEFAULT_CONCURRENT) {
            throw VerifyException.cannotRun("only concurrent=" + Clients.DEFAULT_CONCURRENT + " is bundled; for --clients "
                    + o.clients() + " pass --go PATH (a go tool) to trace the Go twin live");
        }
        throw VerifyException.cannotRun("no bundled reference for --profile " + o.profile() + " --mode " + o.mode() + " --clients "
                + o.clients() + " (bundled: " + String.join(", ", SHAPES) + " for each profile); pass --go PATH (a go tool) to trace the Go twin live");
    }

    /** Whether the jar holds {@code name}: opened as a stream, since getResource would hand back a java.net.URL. */
    private static boolean bundled(String name) throws VerifyException {
        try (InputStream in = BundledReference.class.getResourceAsStream(DIR + name + ".strace")) {
            return in != null;
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot read " + DIR + name + ".strace from the jar: " + e.getMessage());
        }
    }

    /** The {@code # go version: …} line of a bundled capture's header: which Go made it. */
    static String goVersion(String name) throws VerifyException {
        try (InputStream in = BundledReference.class.getResourceAsStream(DIR + name + ".strace")) {
            if (in == null) throw VerifyException.cannotRun(DIR + name + ".strace is missing from the jar; rebuild ffm-echo");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("# go version: "))
                    .map(l -> l.substring("# go version: ".length()).strip())
                    .findFirst().orElse("(the capture's header does not say)");
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot read " + DIR + name + ".strace from the jar: " + e.getMessage());
        }
    }
}
