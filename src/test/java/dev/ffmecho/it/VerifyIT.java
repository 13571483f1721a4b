package dev.ffmecho.it;


import dev.ffmecho.Tools;
import dev.ffmecho.it.GoOracleIT.Toolchain;
import dev.ffmecho.trace.TraceDiffCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ffm-echo verify} as a user runs it, from the packaged jar: each client shape against the
 * bundled Go 1.6 captures and against Go 1.19 and 1.23 built and traced live ({@code --go}); the
 * one-line refusals when strace is missing or may not trace; and the repetition the project
 * promises — the same run, again and again, must give the same verdict: Go against itself and
 * ffm-echo against Go, 5 times with 4 and with 16 concurrent clients, and back-to-back clients
 * 10 times out of 10.
 */
class VerifyIT {
    @TempDir
    static Path dir;

    /** One --keep dir per Go for the whole class: its GOCACHE makes every build after the first a cache hit. */
    private static Path keep(Toolchain go) {
        return dir.resolve("keep-" + go.profile);
    }

    @BeforeAll
    static void requireStrace() {
        Tools.require("strace", "trace ffm-echo and the Go programs");
    }

    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }

        /** For a list of failed runs: the verdict and the start of the diff. */
        String brief() {
            return "exit " + status + "\n" + String.join("\n", out.lines().limit(30).toList()) + "\n" + err;
        }
    }

    /** {@code java -jar ffm-echo.jar verify ARGS…} with {@code env} (FFM_ECHO_STRACE removed unless given). */
    static Result verify(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("verify"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "verify-out", ".txt");
        Path err = Files.createTempFile(dir, "verify-err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(Jar.command(cmd.toArray(String[]::new))).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("FFM_ECHO_STRACE");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("verify did not finish in 300 s: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Result verify(String... args) throws IOException, InterruptedException {
        return verify(Map.of(), args);
    }

    static void assertEqualTraces(Result r) {
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("verify: strace: strace -- version "), r.out());
        assertTrue(r.out().contains("verify: go: go version go1."), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("trace-diff: ") && l.contains(" matches ")), r.out());
    }

    // ---- each shape, once ----

    @ParameterizedTest(name = "go1.6 bundled, --mode {0} --clients {1}")
    @CsvSource({"sequential, serial", "sequential, back-to-back", "goroutine, concurrent"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void againstTheBundledGo16Captures(String mode, String clients) throws Exception {
        Result r = verify("--profile", "go1.6", "--mode", mode, "--clients", clients);
        assertEqualTraces(r);
        assertTrue(r.out().contains("(bundled capture go1.6-" + mode + "-" + clients.replace("concurrent", "concurrent-4") + ")"), r.out());
    }

    @ParameterizedTest(name = "{0} live, --mode {1} --clients {2}")
    @CsvSource({"GO1_19, sequential, serial", "GO1_19, sequential, back-to-back", "GO1_19, goroutine, concurrent",
            "GO1_23, sequential, serial", "GO1_23, sequential, back-to-back", "GO1_23, goroutine, concurrent"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void againstGoBuiltAndTracedLive(Toolchain go, String mode, String clients) throws Exception {
        Result r = verify("--profile", go.profile, "--mode", mode, "--clients", clients, "--go", go.require(),
                "--keep", keep(go).toString());
        assertEqualTraces(r);
        assertTrue(r.out().contains("verify: go: go version " + go.profile), r.out());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void keepKeepsTheTracesAndHtmlIsWritten() throws Exception {
        Path keep = dir.resolve("kept");
        Path html = dir.resolve("verify.html");
        Result r = verify("--keep", keep.toString(), "--html", html.toString());
        assertEqualTraces(r);
        assertTrue(Files.size(keep.resolve("ffm-echo.strace")) > 0, "the raw trace of ffm-echo is kept");
        assertTrue(Files.readString(html).contains("<html"), "trace-diff's HTML");
        assertTrue(r.out().contains("verify: traces kept in " + keep), r.out());
    }

    // ---- strace missing or not allowed to trace ----

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ptraceNotPermittedIsOneLineAndExit2() throws Exception {
        Path fake = dir.resolve("strace-without-ptrace");
        Files.writeString(fake, """
                #!/bin/sh
                # What strace 6.1 prints where the kernel refuses it ptrace (a container without CAP_SYS_PTRACE).
                echo "strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted" >&2
                echo "+++ exited with 1 +++" >&2
                exit 1
                """);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Result r = verify(Map.of("FFM_ECHO_STRACE", fake.toString()));
        assertOneLine(r, "ptrace is not permitted", "--cap-add=SYS_PTRACE", "kernel.yama.ptrace_scope");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void straceMissingFromPathIsOneLineAndExit2() throws Exception {
        Path emptyBin = Files.createDirectories(dir.resolve("bin-without-strace"));
        Result r = verify(Map.of("PATH", emptyBin.toString()));
        assertOneLine(r, "strace is not installed", "apt-get install strace");
    }

    private static void assertOneLine(Result r, String... expected) {
        assertEquals(2, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line: " + r);
        assertTrue(r.err().startsWith("verify: "), r.toString());
        for (String e : expected) assertTrue(r.err().contains(e), "'" + e + "' in " + r);
    }

    // ---- repetition: the same run gives the same verdict ----

    /**
     * Five runs in a row of ffm-echo --mode goroutine against Go's concurrent server built with
     * {@code go}, with {@code n} clients at once: each verify exits 0, and each Go run equals the one
     * before it (Go against itself, through the trace package, as verify compares).
     */
    @ParameterizedTest(name = "{0}, concurrent={1}")
    @CsvSource({"GO1_19, 4", "GO1_19, 16", "GO1_23, 4", "GO1_23, 16"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void concurrentClientsFiveTimesInARow(Toolchain go, int n) throws Exception {
        List<String> failures = new ArrayList<>();
        Path previousGo = null;
        for (int run = 1; run <= 5; run++) {
            Result r = verify("--profile", go.profile, "--mode", "goroutine", "--clients", "concurrent=" + n, "--go", go.require(),
                    "--keep", keep(go).toString());
            if (r.status() != 0) failures.add("run " + run + ", ffm-echo vs Go: " + r.brief());
            Path goTrace = Files.copy(keep(go).resolve("go.strace"), dir.resolve(go.profile + "-c" + n + "-go-" + run + ".strace"),
                    StandardCopyOption.REPLACE_EXISTING);
            if (previousGo != null) {
                Diff d = traceDiff(goTrace.toString(), "--reference", previousGo.toString(), "--concurrent");
                if (d.status() != 0) failures.add("run " + run + ", Go vs Go (run " + (run - 1) + "): exit " + d.status() + "\n"
                        + String.join("\n", d.out().lines().limit(30).toList()) + d.err());
            }
            previousGo = goTrace;
        }
        assertEquals(List.of(), failures);
    }

    /** Five runs in a row of ffm-echo --profile go1.6 --mode goroutine against the bundled Go 1.6 concurrent=4 capture. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void concurrentClientsAgainstBundledGo16FiveTimesInARow() throws Exception {
        List<String> failures = new ArrayList<>();
        for (int run = 1; run <= 5; run++) {
            Result r = verify("--profile", "go1.6", "--mode", "goroutine", "--clients", "concurrent=4");
            if (r.status() != 0) failures.add("run " + run + ": " + r.brief());
        }
        assertEquals(List.of(), failures);
    }

    /** Back-to-back clients, 10 out of 10, against live Go 1.19 and 1.23 and the bundled Go 1.6 capture. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"go1.6", "go1.19", "go1.23"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void backToBackTenOutOfTen(String profile) throws Exception {
        List<String> args = new ArrayList<>(List.of("--profile", profile, "--mode", "sequential", "--clients", "back-to-back"));
        for (Toolchain go : Toolchain.values()) {
            if (go.profile.equals(profile)) args.addAll(List.of("--go", go.require(), "--keep", keep(go).toString()));
        }
        List<String> failures = new ArrayList<>();
        for (int run = 1; run <= 10; run++) {
            Result r = verify(args.toArray(String[]::new));
            if (r.status() != 0) failures.add("run " + run + ": " + r.brief());
        }
        assertEquals(List.of(), failures);
    }

    record Diff(int status, String out, String err) {}

    /** The trace package's diff, as {@code ffm-echo trace-diff} runs it. */
    static Diff traceDiff(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TraceDiffCommand.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Diff(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
