package dev.ffmecho.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code go} tool given with {@code --go PATH}, and the Go programs shipped in the jar
 * ({@code dev/ffmecho/go/study/main.go}, {@code dev/ffmecho/go/concurrent/main.go}) built with it.
 * Public for the integration tests, which build the same programs the same way.
 */
public record GoTool(Path go, String version) {
    private static final long VERSION_LIMIT_SECONDS = 30;
    private static final long BUILD_LIMIT_SECONDS = 300;

    /** Checks that {@code go} runs and asks it {@code go version}. */
    public static GoTool at(Path go, Map<String, String> env, Path work) throws VerifyException, InterruptedException {
        if (!Files.isRegularFile(go) || !Files.isExecutable(go)) {
            throw VerifyException.cannotRun("--go " + go + ": " + (Files.exists(go) ? "not an executable file" : "no such file")
                    + "; pass the go tool itself, e.g. /usr/lib/go-1.19/bin/go");
        }
        ShortCommand v = ShortCommand.run(List.of(go.toString(), "version"), buildEnv(env, work), work, work.resolve("go-version.log"),
                VERSION_LIMIT_SECONDS);
        if (v.status() != 0 || !v.firstLine().startsWith("go version ")) {
            throw VerifyException.cannotRun("--go " + go + " is not a working go tool (go version said: " + v.firstLine() + ")");
        }
        return new GoTool(go, v.firstLine());
    }

    /** "go1.19" of "go version go1.19.8 linux/amd64": the release, to say when it is not the profile's. */
    String release() {
        String[] words = version.split(" ");
        return words.length > 2 ? words[2].replaceFirst("^(go\\d+\\.\\d+).*", "$1") : version;
    }

    /**
     * Builds {@code program} ("study" or "concurrent") from the copy shipped in the jar into
     * {@code work/program}; a failed build is one line with the compiler's first complaint.
     */
    public Path build(String program, Map<String, String> env, Path work) throws VerifyException, InterruptedException {
        Path src = work.resolve("go-src").resolve(program);
        Path binary = work.resolve(program);
        extract(program, src);
        ShortCommand b = ShortCommand.run(List.of(go.toString(), "build", "-o", binary.toString(), "main.go"),
                buildEnv(env, work), src, work.resolve("go-build-" + program + ".log"), BUILD_LIMIT_SECONDS);
        if (b.status() != 0 || !Files.isExecutable(binary)) {
            throw VerifyException.cannotRun(go + " build of the " + program + " program failed: " + b.firstLine()
                    + " (full output in " + work.resolve("go-build-" + program + ".log") + " with --keep)");
        }
        return binary;
    }

    private static void extract(String program, Path dir) throws VerifyException {
        String resource = "/dev/ffmecho/go/" + program + "/main.go";
        try (InputStream in = GoTool.class.getResourceAsStream(resource)) {
            if (in == null) throw VerifyException.cannotRun(resource + " is missing from the jar; rebuild ffm-echo");
            Files.createDirectories(dir);
            Files.copy(in, dir.resolve("main.go"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot write the Go program to " + dir + ": " + e.getMessage());
        }
    }

    /**
     * The caller's environment, with: GOTOOLCHAIN=local (a newer go never downloads another
     * toolchain), GO111MODULE=off and GOFLAGS=-mod=mod (one file, no go.mod: GOPATH mode; Go 1.6
     * predates both and ignores them), a private GOCACHE in the work dir (Go ≥ 1.12 needs one, and
     * the user's is left alone), and no GOROOT (each go finds its own; a GOROOT of another Go
     * version breaks the build).
     */
    static Map<String, String> buildEnv(Map<String, String> env, Path work) {
        Map<String, String> e = new HashMap<>(env);
        e.remove("GOROOT");
        e.put("GOTOOLCHAIN", "local");
        e.put("GO111MODULE", "off");
        e.put("GOFLAGS", "-mod=mod");
        e.put("GOCACHE", work.resolve("gocache").toAbsolutePath().toString());
        return e;
    }
}
