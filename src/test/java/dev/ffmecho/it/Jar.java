package dev.ffmecho.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged {@code target/ffm-echo.jar}, run the way a user runs it. */
final class Jar {
    static final Path PATH = Path.of(System.getProperty("ffmecho.jar", "target/ffm-echo.jar")).toAbsolutePath();
    /** The JDK running the tests (>= 22): the one a user would point JAVA_HOME at. */
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private Jar() {}

    /** {@code java --enable-native-access=ALL-UNNAMED -jar ffm-echo.jar ARGS…} */
    static List<String> command(String... args) {
        assertTrue(Files.isRegularFile(PATH), "the jar is built before integration tests: " + PATH);
        List<String> cmd = new ArrayList<>(List.of(JAVA, "--enable-native-access=ALL-UNNAMED", "-jar", PATH.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Output and status of a process that is expected to end by itself. */
    /** {@code --mode} and the words of {@code mode} ("eventloop --io io_uring"), then {@code rest}: for tests parameterized by mode. */
    static String[] modeArgs(String mode, String... rest) {
        List<String> args = new ArrayList<>(List.of("--mode"));
        args.addAll(List.of(mode.split(" ")));
        args.addAll(List.of(rest));
        return args.toArray(String[]::new);
    }

    record Result(int status, String stdout, String stderr) {}

    static Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ffm-echo-out", ".txt");
        Path err = Files.createTempFile("ffm-echo-err", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("did not finish in 60 s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A port that was free a moment ago (the kernel picks it; tests bind it right after). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
