package dev.ffmecho.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./ffm-echo} launcher as README tells users to run it: it finds the JDK, starts the
 * server, and on JDK 25+ makes an AOT cache once per build and starts from it afterwards.
 */
class LauncherIT {
    private static final Path ROOT = Jar.PATH.getParent().getParent();
    private static final Path LAUNCHER = ROOT.resolve("ffm-echo");
    private static final Path AOT = ROOT.resolve("target/ffm-echo.aot");
    private static final String JAVA_HOME = Path.of(Jar.JAVA).getParent().getParent().toString();

    private static ProcessBuilder launcher(Map<String, String> env, String... args) {
        ProcessBuilder pb = new ProcessBuilder(concat(LAUNCHER.toString(), args));
        pb.environment().put("JAVA_HOME", JAVA_HOME);
        pb.environment().putAll(env);
        return pb;
    }

    private static List<String> concat(String first, String... rest) {
        var all = new java.util.ArrayList<String>(List.of(first));
        all.addAll(List.of(rest));
        return all;
    }

    private static Jar.Result run(ProcessBuilder pb) throws IOException, InterruptedException {
        Path out = Files.createTempFile("launcher-out", ".txt");
        Path err = Files.createTempFile("launcher-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the launcher did not finish in 120 s");
            }
            return new Jar.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void makesTheAotCacheOnceOnJdk25AndStartsFromIt() throws Exception {
        Files.deleteIfExists(AOT);
        Jar.Result first = run(launcher(Map.of(), "--version"));
        assertEquals(0, first.status(), first.stderr());
        assertTrue(first.stdout().startsWith("ffm-echo "), first.stdout());
        if (Runtime.version().feature() < 25) {
            assertFalse(Files.exists(AOT), "no AOT cache below JDK 25");
            return;
        }
        assertTrue(first.stderr().contains("making an AOT cache"), first.stderr());
        assertTrue(Files.isRegularFile(AOT), "cache made by the first run");
        assertEquals(Jar.JAVA, Files.readString(Path.of(AOT + ".java")).strip(), "the cache records the java that made it");

        Jar.Result second = run(launcher(Map.of("FFM_ECHO_JAVA_OPTS", "-Xlog:aot=info"), "--version"));
        assertEquals(0, second.status(), second.stderr());
        assertFalse(second.stderr().contains("making an AOT cache"), "made once: " + second.stderr());
        assertTrue(second.stdout().contains("Opened AOT cache"), "the JVM maps the cache: " + second.stdout());

        Jar.Result off = run(launcher(Map.of("FFM_ECHO_AOT", "0", "FFM_ECHO_JAVA_OPTS", "-Xlog:aot=info"), "--version"));
        assertEquals(0, off.status(), off.stderr());
        assertFalse(off.stdout().contains("Opened AOT cache"), "FFM_ECHO_AOT=0 starts without it: " + off.stdout());
    }

    @Test
    void servesThroughTheLauncherAndExitsZeroOnSigterm() throws Exception {
        int port = Jar.freePort();
        Process p = launcher(Map.of(), "serve", "--quiet", "--mode", "eventloop", "--listen", "127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            byte[] hello = "through the launcher\n".getBytes(StandardCharsets.US_ASCII);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // a first run may build the AOT cache
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(10000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    out.write(hello);
                    assertEquals(new String(hello, StandardCharsets.US_ASCII),
                            new String(in.readNBytes(hello.length), StandardCharsets.US_ASCII));
                    break;
                } catch (java.net.ConnectException e) {
                    assertTrue(p.isAlive() && System.nanoTime() < deadline, "the launched server listens on " + port);
                    Thread.sleep(50);
                }
            }
            p.destroy(); // SIGTERM; exec keeps the launcher's pid, so it reaches the JVM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }
}
