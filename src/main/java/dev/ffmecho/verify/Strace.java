package dev.ffmecho.verify;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The strace that traces both servers: {@value #ENV} when set (a path), else {@code strace} on
 * PATH. Before any server starts, it traces {@code true} once, so that a machine where ptrace is
 * not permitted (a container without CAP_SYS_PTRACE, Yama's ptrace_scope) is told so in one line.
 */
record Strace(Path path, String version) {
    static final String ENV = "FFM_ECHO_STRACE";
    private static final long LIMIT_SECONDS = 30;

    static Strace locate(Map<String, String> env, Path work) throws VerifyException, InterruptedException {
        Path path = find(env);
        ShortCommand probe = ShortCommand.run(List.of(path.toString(), "-f", "-o", "/dev/null", trueCommand(env)),
                env, work, work.resolve("strace-probe.log"), LIMIT_SECONDS);
        if (probe.status() != 0) throw cannotTrace(path, probe);
        ShortCommand v = ShortCommand.run(List.of(path.toString(), "-V"), env, work, work.resolve("strace-version.log"), LIMIT_SECONDS);
        if (v.status() != 0) throw VerifyException.cannotRun(path + " -V failed: " + v.firstLine());
        return new Strace(path, v.firstLine());
    }

    private static Path find(Map<String, String> env) throws VerifyException {
        String chosen = env.get(ENV);
        if (chosen != null && !chosen.isEmpty()) {
            Path p = Path.of(chosen);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw VerifyException.cannotRun(ENV + "=" + chosen + " is not an executable file: point it at strace, or unset it");
            }
            return p;
        }
        return onPath(env, "strace").orElseThrow(() -> VerifyException.cannotRun(
                "strace is not installed (not on PATH): install the strace package (apt-get install strace) or set "
                        + ENV + " to its path"));
    }

    static java.util.Optional<Path> onPath(Map<String, String> env, String name) {
        for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return java.util.Optional.of(p);
        }
        return java.util.Optional.empty();
    }

    /** A program that exits 0 at once; /bin/true when PATH has none (strace itself resolves a bare name on PATH). */
    private static String trueCommand(Map<String, String> env) {
        return onPath(env, "true").map(Path::toString).orElse("/bin/true");
    }

    /**
     * strace says {@code ptrace(PTRACE_TRACEME, …): Operation not permitted} (or EPERM from
     * PTRACE_SEIZE/ATTACH) when the kernel refuses; anything else is quoted as it came.
     */
    private static VerifyException cannotTrace(Path path, ShortCommand probe) {
        String said = probe.output().lines().filter(l -> l.contains("ptrace")).findFirst().orElse(probe.firstLine()).strip();
        if (said.contains("Operation not permitted") || said.contains("EPERM")) {
            return VerifyException.cannotRun("strace cannot trace here, ptrace is not permitted (" + said + "): in a container, run it"
                    + " with --cap-add=SYS_PTRACE; on a host, lower kernel.yama.ptrace_scope to 1 (sysctl -w kernel.yama.ptrace_scope=1)");
        }
        return VerifyException.cannotRun(path + " cannot trace a program here (exit " + probe.status() + "): " + said);
    }
}
