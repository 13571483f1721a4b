package dev.ffmecho.verify;

import dev.ffmecho.trace.NormalizedTrace;
import dev.ffmecho.trace.TraceDiffCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live Go captures bundled for verify: each is there, says where it came from, parses, is
 * reachable as {@code trace-diff --reference NAME}, and the live Go 1.6 run of the study program
 * agrees with the study note's own trace (the bundled {@code go1.6} reference).
 */
class BundledReferenceTest {
    @TempDir
    static Path dir;

    static List<String> names() {
        return BundledReference.names();
    }

    static String text(String name) throws IOException {
        try (InputStream in = BundledReference.class.getResourceAsStream(BundledReference.DIR + name + ".strace")) {
            assertNotNull(in, name + " is bundled");
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void nineCapturesThreeGosTimesThreeShapes() {
        assertEquals(List.of("go1.6-sequential-serial", "go1.6-sequential-back-to-back", "go1.6-goroutine-concurrent-4",
                "go1.19-sequential-serial", "go1.19-sequential-back-to-back", "go1.19-goroutine-concurrent-4",
                "go1.23-sequential-serial", "go1.23-sequential-back-to-back", "go1.23-goroutine-concurrent-4"), names());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void eachHeaderSaysWhichGoProgramClientStraceKernelAndDate(String name) throws Exception {
        String profile = name.substring(0, name.indexOf('-'));
        List<String> header = text(name).lines().takeWhile(l -> l.startsWith("#")).toList();
        String all = String.join("\n", header);
        assertTrue(BundledReference.goVersion(name).startsWith("go version " + profile + (profile.equals("go1.6") ? " " : ".")),
                name + ": " + BundledReference.goVersion(name));
        String program = name.contains("goroutine") ? "concurrent" : "study";
        for (String field : List.of("# go: ", "# program: src/main/resources/dev/ffmecho/go/" + program + "/main.go",
                "# clients: " + name.substring(name.indexOf('-', name.indexOf('-') + 1) + 1).replace("concurrent-4", "concurrent=4"),
                "# traced: strace -f -o FILE (strace -- version ", "(uname -r); captured 20")) {
            assertTrue(all.contains(field), name + " header has '" + field + "':\n" + all);
        }
        if (profile.equals("go1.6")) assertTrue(all.contains("golang/go commit 7bc40ffb"), all);
    }

    /** The header is comments: the trace with and without it normalizes to the same lines. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void theParserSkipsTheHeader(String name) throws Exception {
        String text = text(name);
        String body = String.join("\n", text.lines().dropWhile(l -> l.startsWith("#")).toList()) + "\n";
        assertTrue(text.length() > body.length(), "there is a header");
        NormalizedTrace withHeader = NormalizedTrace.of(name, text);
        assertEquals(NormalizedTrace.of(name, body).lines(), withHeader.lines());
        assertTrue(withHeader.lines().size() > 30, name + " has a network story: " + withHeader.lines().size() + " lines");
        assertTrue(withHeader.lines().stream().anyMatch(l -> l.startsWith("accept4(")), name);
    }

    /** {@code trace-diff --reference NAME} finds each one; a capture equals itself (concurrent ones with --concurrent). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void traceDiffLoadsItByName(String name) throws Exception {
        Path file = Files.writeString(dir.resolve(name + ".strace"), text(name), StandardCharsets.ISO_8859_1);
        List<String> args = new ArrayList<>(List.of(file.toString(), "--reference", name));
        if (name.contains("concurrent")) args.add("--concurrent");
        Diff d = traceDiff(args);
        assertEquals(0, d.status(), d.toString());
        assertTrue(d.out().contains(name + " (bundled live Go capture)"), d.out());
    }

    /**
     * The study program built with Go 1.6 and run live makes the calls the 2016 note traced (the
     * bundled go1.6 reference: the note's excerpts plus the echo phase from Go 1.6 source).
     */
    @Test
    void theLiveGo16CaptureMatchesTheStudyNotesTrace() throws Exception {
        Path live = Files.writeString(dir.resolve("live-go1.6.strace"), text("go1.6-sequential-serial"), StandardCharsets.ISO_8859_1);
        Diff d = traceDiff(List.of(live.toString(), "--reference", "go1.6"));
        assertEquals(0, d.status(), d.toString());
    }

    /** ...and the captures discriminate: Go 1.19's serial run is not Go 1.6's. */
    @Test
    void go119IsNotGo16() throws Exception {
        Path live = Files.writeString(dir.resolve("live-go1.19.strace"), text("go1.19-sequential-serial"), StandardCharsets.ISO_8859_1);
        Diff d = traceDiff(List.of(live.toString(), "--reference", "go1.6-sequential-serial"));
        assertEquals(1, d.status(), d.toString());
        assertTrue(d.out().contains("epoll_pwait"), d.out());
    }

    @Test
    void aShapeWithoutACaptureSaysPassGo() {
        VerifyException e = org.junit.jupiter.api.Assertions.assertThrows(VerifyException.class, () -> BundledReference.forOptions(
                VerifyOptions.parse(List.of("--profile", "go1.19", "--mode", "goroutine", "--clients", "back-to-back"))));
        assertTrue(e.getMessage().contains("pass --go PATH"), e.getMessage());
        assertEquals(2, e.status());
    }

    record Diff(int status, String out, String err) {}

    static Diff traceDiff(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TraceDiffCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Diff(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
