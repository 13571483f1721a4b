package dev.ffmecho.verify;

import dev.ffmecho.trace.TraceDiffCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ffm-echo verify}: the whole fidelity check in one command. ffm-echo (this very jar) and
 * its Go twin — a bundled live capture, or the Go program built with {@code --go PATH} and run —
 * each serve the same built-in client under {@code strace -f}, each cut at SIGTERM once parked in
 * its next accept, and the two traces go through {@code trace-diff}. Exit status as trace-diff's:
 * 0 equal, 1 different, 2 bad input or cannot run (one line on stderr naming the fix).
 */
public final class VerifyCommand {
    private VerifyCommand() {}

    /** args = everything after "verify". */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), System.getProperty("java.class.path", ""), out, err);
    }

    /** With the environment (PATH, {@value Strace#ENV}) and class path given, for tests. */
    static int run(List<String> args, Map<String, String> env, String classPath, PrintStream out, PrintStream err) {
        try {
            VerifyOptions o = VerifyOptions.parse(args);
            if (o.help()) {
                out.println(VerifyOptions.USAGE);
                out.println("Traces ffm-echo and its Go twin serving the same clients and diffs them; exit 0 equal, 1 different, 2 cannot run.");
                return 0;
            }
            String bundled = o.go() == null ? BundledReference.forOptions(o) : null;
            Path jar = ownJar(classPath);
            try (WorkDir work = WorkDir.open(o.keep())) {
                return verify(o, bundled, jar, env, work, out, err);
            }
        } catch (VerifyException e) {
            out.flush();
            err.println("verify: " + e.getMessage());
            return e.status();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("verify: interrupted; no verdict");
            return VerifyException.CANNOT_RUN;
        } catch (RuntimeException e) {
            err.println("verify: internal error (" + e + "); please report it with the command line");
            return VerifyException.CANNOT_RUN;
        }
    }

    private static int verify(VerifyOptions o, String bundled, Path jar, Map<String, String> env, WorkDir work,
                              PrintStream out, PrintStream err) throws VerifyException, InterruptedException {
        Strace strace = Strace.locate(env, work.path());
        out.println("verify: strace: " + strace.version() + " (" + strace.path() + ")");
        Path goBinary = null;
        if (o.go() != null) {
            GoTool go = GoTool.at(o.go(), env, work.path());
            out.println("verify: go: " + go.version() + " (" + o.go() + ")");
            if (!go.release().equals(o.profile())) {
                out.println("verify: note: --profile " + o.profile() + " reproduces " + o.profile() + ", this go is " + go.release()
                        + ": pass --profile " + go.release() + " to compare like with like");
            }
            goBinary = go.build(o.goProgram(), env, work.path());
        } else {
            out.println("verify: go: " + BundledReference.goVersion(bundled) + " (bundled capture " + bundled + ")");
        }
        out.println("verify: ffm-echo --profile " + o.profile() + " --mode " + o.mode() + ", clients " + o.clients());
        out.flush();

        int port = FreePort.pick();
        Path ours = capture("ffm-echo", strace, ffmEcho(jar, o, port), port, o.clients(), work.path());
        String reference = bundled;
        if (goBinary != null) {
            int goPort = FreePort.pick();
            reference = capture("go", strace, List.of(goBinary.toString(), "-host", "", "-port", Integer.toString(goPort)),
                    goPort, o.clients(), work.path()).toString();
        }
        int status = TraceDiffCommand.run(diffArgs(o, ours, reference), out, err);
        if (work.keep()) out.println("verify: traces kept in " + work.path());
        out.flush();
        return status;
    }

    /** The server of this jar, run by the java running verify, on {@code port}. */
    private static List<String> ffmEcho(Path jar, VerifyOptions o, int port) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(),
                "--listen", ":" + port, "--profile", o.profile(), "--mode", o.mode());
    }

    /**
     * One traced run: start, wait until parked, drive with the clients, wait until it holds only its
     * listener and is parked in its next accept, SIGTERM. A wrong echo from ffm-echo is a
     * difference (exit 1); one from Go means the run cannot be trusted (exit 2).
     */
    private static Path capture(String name, Strace strace, List<String> command, int port, Clients clients, Path dir)
            throws VerifyException, InterruptedException {
        try (TracedServer server = TracedServer.start(name, strace, command, port, dir)) {
            server.awaitReady();
            try {
                ClientRun.run(clients, port);
            } catch (IOException e) {
                String problem = name + " did not echo what the " + clients + " client sent: " + e.getMessage();
                throw name.equals("ffm-echo") ? VerifyException.different(problem) : VerifyException.cannotRun(problem);
            }
            server.awaitSettled();
            server.stop();
            return server.trace();
        }
    }

    private static List<String> diffArgs(VerifyOptions o, Path ours, String reference) {
        List<String> args = new ArrayList<>(List.of(ours.toString(), "--reference", reference));
        if (o.concurrentDiff()) args.add("--concurrent");
        if (o.html() != null) args.addAll(List.of("--html", o.html().toString()));
        return args;
    }

    /**
     * The jar this command runs from, which it also runs as the server. Found on the class path
     * ({@code java -jar} makes it the whole class path), not from the class's CodeSource: that is a
     * java.net.URL, and the product jar references nothing in java.net.
     */
    static Path ownJar(String classPath) throws VerifyException {
        Path jar = classPath.isEmpty() || classPath.contains(java.io.File.pathSeparator) ? null : Path.of(classPath).toAbsolutePath();
        if (jar == null || !jar.toString().endsWith(".jar") || !Files.isRegularFile(jar)) {
            throw VerifyException.cannotRun("verify runs ffm-echo from its own jar, and the class path here is '" + classPath
                    + "': start it as java -jar ffm-echo.jar verify (or ./ffm-echo verify)");
        }
        return jar;
    }
}
