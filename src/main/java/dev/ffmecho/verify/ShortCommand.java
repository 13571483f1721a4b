package dev.ffmecho.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A tool run to completion ({@code strace -V}, {@code go version}, {@code go build}), its stdout
 * and stderr together in a file of the work dir (a pipe left unread could block it), bounded in
 * time: past the limit it is killed by its PID.
 */
record ShortCommand(int status, String output) {
    static ShortCommand run(List<String> command, Map<String, String> env, Path dir, Path log, long limitSeconds)
            throws VerifyException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot run " + command.getFirst() + ": " + e.getMessage());
        }
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw VerifyException.cannotRun(String.join(" ", command) + " did not finish within " + limitSeconds + " s");
        }
        try {
            return new ShortCommand(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw VerifyException.cannotRun("cannot read " + log + ": " + e.getMessage());
        }
    }

    /** The first non-blank line of the output, for one-line messages. */
    String firstLine() {
        return output.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("(no output)");
    }
}
