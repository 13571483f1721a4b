package dev.ffmecho.verify;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Everything that stops {@code verify} before a server starts: each bad option, each missing or
 * unusable tool, each combination without a bundled reference — one line on stderr naming the
 * problem and the fix, exit 2. Tools are stood in for by scripts, so these run anywhere.
 */
class VerifyCommandTest {
    @TempDir
    static Path dir;
    /** Stands in for the jar verify runs from: these cases all stop before it is run. */
    static Path jar;

    @BeforeAll
    static void fakeJar() throws IOException {
        jar = Files.writeString(dir.resolve("ffm-echo.jar"), "not run by these tests");
    }

    record Run(int status, String out, String err) {}

    static Run run(Map<String, String> env, String classPath, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = VerifyCommand.run(List.of(args), env, classPath, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run run(String... args) {
        return run(System.getenv(), jar.toString(), args);
    }

    static void assertOneLine(Run r, String... expected) {
        assertEquals(2, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r.err());
        assertTrue(r.err().startsWith("verify: "), r.err());
        for (String e : expected) assertTrue(r.err().contains(e), "'" + e + "' in: " + r.err());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--frobnicate|unknown flag --frobnicate",
            "--profile|--profile needs a value",
            "--profile=|--profile needs a value",
            "--clients --go /usr/bin/go|--clients needs a value",
            "--profile go1.7|--profile go1.7 is not one of go1.19, go1.23, go1.6",
            "--mode threads|--mode threads is not one of goroutine, sequential",
            "--mode eventloop|--mode eventloop has no Go twin",
            "--clients parallel|not a client shape: use serial, back-to-back or concurrent[=N]",
            "--clients concurrent=0|N must be a number from 1 to 64",
            "--clients concurrent=65|N must be a number from 1 to 64",
            "--clients concurrent=four|N must be a number from 1 to 64",
            "go1.19|unexpected argument go1.19",
            "--mode goroutine --clients serial|no bundled reference for --profile go1.6 --mode goroutine --clients serial",
            "--mode goroutine --clients concurrent=16|only concurrent=4 is bundled; for --clients concurrent=16 pass --go PATH",
            "--mode sequential --clients concurrent|no bundled reference",
    })
    void badOptionsAreOneLineAndExit2(String args, String expected) {
        Run r = run(args.split(" "));
        assertOneLine(r, expected);
        if (expected.contains("bundled")) assertTrue(r.err().contains("pass --go PATH"), r.err());
    }

    @Test
    void helpPrintsUsageAndExits0() {
        Run r = run("--help");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("usage: ffm-echo verify [--profile go1.6|go1.19|go1.23]"), r.out());
    }

    @Test
    void outsideItsJarItSaysHowToRunIt() {
        assertOneLine(run(System.getenv(), "target/classes:target/test-classes"), "java -jar ffm-echo.jar verify");
    }

    @Test
    void straceMissingFromPathNamesThePackage() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        assertOneLine(run(Map.of("PATH", empty.toString()), jar.toString()),
                "strace is not installed", "apt-get install strace", Strace.ENV);
    }

    @Test
    void ptraceNotPermittedNamesTheContainerAndYamaFixes() throws IOException {
        Path fake = script("strace-no-ptrace", """
                echo "strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted" >&2
                echo "+++ exited with 1 +++" >&2
                exit 1
                """);
        assertOneLine(run(env(Strace.ENV, fake.toString()), jar.toString()),
                "ptrace is not permitted", "ptrace(PTRACE_TRACEME, ...): Operation not permitted",
                "--cap-add=SYS_PTRACE", "kernel.yama.ptrace_scope");
    }

    @Test
    void aStraceVariableThatIsNoProgramIsNamed() {
        assertOneLine(run(env(Strace.ENV, dir.resolve("no-such-strace").toString()), jar.toString()),
                Strace.ENV + "=" + dir.resolve("no-such-strace") + " is not an executable file");
    }

    @Test
    void aGoThatIsNotThereIsNamed() throws IOException {
        assertOneLine(run(env(Strace.ENV, tracingStrace().toString()), jar.toString(), "--go", "/nonexistent/go"),
                "--go /nonexistent/go: no such file");
    }

    @Test
    void aGoThatDoesNotAnswerVersionIsNoGo() throws IOException {
        Path notGo = script("not-go", "echo 'usage: not-go'; exit 3\n");
        assertOneLine(run(env(Strace.ENV, tracingStrace().toString()), jar.toString(), "--go", notGo.toString()),
                "is not a working go tool", "usage: not-go");
    }

    @Test
    void aFailedGoBuildIsOneLineWithTheCompilersComplaint() throws IOException {
        Path go = script("go", """
                case "$1" in
                  version) echo "go version go1.19.99 linux/amd64" ;;
                  build) echo "# command-line-arguments" >&2; echo "./main.go:3:1: syntax error: this go is a test's" >&2; exit 2 ;;
                esac
                """);
        Run r = run(env(Strace.ENV, tracingStrace().toString()), jar.toString(), "--profile", "go1.19", "--go", go.toString());
        assertOneLine(r, "build of the study program failed: # command-line-arguments");
        assertTrue(r.out().contains("verify: go: go version go1.19.99 linux/amd64"), r.out());
        assertTrue(r.out().contains("verify: strace: strace -- version 0.0 (a test's)"), r.out());
    }

    @Test
    void aKeepDirThatCannotBeMadeIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "");
        assertOneLine(run("--keep", file.resolve("sub").toString()), "cannot create the work directory", "pass --keep a writable directory");
    }

    @Test
    void theDefaultShapeFollowsTheMode() throws VerifyException {
        assertEquals(Clients.SERIAL, VerifyOptions.parse(List.of()).clients());
        assertEquals(Clients.concurrent(4), VerifyOptions.parse(List.of("--mode", "goroutine")).clients());
        VerifyOptions o = VerifyOptions.parse(List.of("--profile=go1.23", "--mode=goroutine", "--clients=concurrent=16", "--go=/x/go"));
        assertEquals("go1.23", o.profile());
        assertEquals(Clients.concurrent(16), o.clients());
        assertEquals(Path.of("/x/go"), o.go());
        assertEquals("concurrent", o.goProgram());
        assertTrue(o.concurrentDiff());
        assertEquals("study", VerifyOptions.parse(List.of("--clients", "back-to-back")).goProgram());
    }

    /** A strace that "traces" by doing nothing, for the cases that stop before any server runs. */
    private static Path tracingStrace() throws IOException {
        return script("strace-ok", """
                [ "$1" = -V ] && echo "strace -- version 0.0 (a test's)"
                exit 0
                """);
    }

    private static Path script(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private static Map<String, String> env(String key, String value) {
        Map<String, String> e = new HashMap<>(System.getenv());
        e.put(key, value);
        return e;
    }
}
