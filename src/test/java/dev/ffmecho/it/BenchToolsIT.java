package dev.ffmecho.it;

import dev.ffmecho.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark tools are instruments; an instrument that drifts gives wrong numbers silently. So
 * the suite builds them as the bench scripts do and checks that they measure what they claim:
 * the load client verifies echoes (and catches a server that corrupts one byte), the C yardstick
 * server echoes, and the JMH module builds and shows the event loop's per-message path
 * allocation-free. No timing is asserted: numbers come from {@code jmh/bench/*.sh}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchToolsIT {
    private static final Path ROOT = Jar.PATH.getParent().getParent();
    private static final Path BENCH = ROOT.resolve("jmh/bench");

    @TempDir
    static Path bin;

    @BeforeAll
    static void buildTheCPrograms() throws Exception {
        String gcc = Tools.require("gcc", "build the benchmark's C programs");
        for (String prog : List.of("echo_server", "load_client", "startup_probe", "downcall_loop")) {
            Jar.Result r = Jar.run(List.of(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o",
                    bin.resolve(prog).toString(), BENCH.resolve(prog + ".c").toString()));
            assertEquals(0, r.status(), prog + ".c must build warning-free: " + r.stderr());
        }
        if (!Files.exists(Path.of("/usr/include/liburing.h"))) {
            Tools.missing("liburing is not installed; it is needed to build the C io_uring yardstick (apt-get install liburing-dev)");
        }
        Jar.Result r = Jar.run(List.of(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", bin.resolve("uring_echo_server").toString(),
                BENCH.resolve("uring_echo_server.c").toString(), "-luring"));
        assertEquals(0, r.status(), "uring_echo_server.c must build warning-free: " + r.stderr());
    }

    /** Runs the load client for one second at {@code port}; returns its result line. */
    private static Jar.Result load(int port, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("load_client").toString(),
                "-c", "8", "-d", "4", "-s", "100", "-w", "0", "-t", "1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(extra));
        return Jar.run(cmd);
    }

    private static void assertVerifiedEchoes(Jar.Result r, String who) {
        assertEquals(0, r.status(), who + ": " + r.stdout() + r.stderr());
        Matcher m = Pattern.compile("msgs=(\\d+) .* errors=0").matcher(r.stdout());
        assertTrue(m.find(), who + ": " + r.stdout());
        assertTrue(Long.parseLong(m.group(1)) > 0, who + " echoed messages: " + r.stdout());
        assertTrue(r.stdout().contains("echoed bytes verified"), r.stdout());
    }

    /** The load client against every server the benches run: ffm-echo's event loop on both backends and the C yardsticks. */
    @Test
    void theLoadClientVerifiesEveryEchoFromFfmEchoAndTheCServers() throws Exception {
        for (String io : List.of("epoll", "io_uring")) {
            int port = Jar.freePort();
            assertServerEchoes(Jar.command("--mode", "eventloop", "--io", io, "--loops", "1", "--quiet", "--listen", "127.0.0.1:" + port),
                    port, "ffm-echo eventloop --io " + io);
        }
        for (List<String> c : List.of(List.of("echo_server", "-m", "lt"), List.of("echo_server", "-m", "et"), List.of("uring_echo_server"))) {
            int port = Jar.freePort();
            List<String> cmd = new ArrayList<>(List.of(bin.resolve(c.get(0)).toString(), "-p", Integer.toString(port)));
            cmd.addAll(c.subList(1, c.size()));
            assertServerEchoes(cmd, port, String.join(" ", c));
        }
    }

    /** Starts {@code command} listening on {@code port}, runs the load client at it, and expects exit 0 on SIGTERM. */
    private static void assertServerEchoes(List<String> command, int port, String who) throws Exception {
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CliIT.awaitListening(port);
            assertVerifiedEchoes(load(port, "-P", Long.toString(server.pid())), who);
        } finally {
            server.destroy();
            assertTrue(server.waitFor(20, TimeUnit.SECONDS));
        }
        assertEquals(0, server.exitValue(), who + " exits 0 on SIGTERM");
    }

    /** A server that echoes everything but flips one byte: the client must say where, and exit 1. */
    @Test
    void theLoadClientCatchesOneCorruptedByte() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    s.setTcpNoDelay(true);
                    byte[] buf = new byte[65536];
                    long seen = 0;
                    for (int n; (n = in.read(buf)) > 0; seen += n) {
                        if (seen <= 5000 && 5000 < seen + n) buf[(int) (5000 - seen)] ^= 1;
                        out.write(buf, 0, n);
                    }
                } catch (Exception ignored) {
                    // the client hung up after finding the byte
                }
            });
            Jar.Result r = Jar.run(List.of(bin.resolve("load_client").toString(),
                    "-c", "1", "-d", "1", "-s", "100", "-w", "0", "-t", "2", "-p", Integer.toString(server.getLocalPort())));
            assertEquals(1, r.status(), r.stdout() + r.stderr());
            assertTrue((r.stdout() + r.stderr()).contains("MISMATCH"), r.stdout() + r.stderr());
            assertTrue((r.stdout() + r.stderr()).contains("stream_offset=5000"), r.stdout() + r.stderr());
            t.join(5000);
        }
    }

    /** jmh/target/benchmarks.jar, built once per run with {@code mvn -f jmh/pom.xml package} as README says. */
    private static Path benchmarks;

    private static synchronized Path benchmarksJar(Path out) throws Exception {
        if (benchmarks != null) return benchmarks;
        String mvn = Tools.require("mvn", "build the JMH module");
        Process build = new ProcessBuilder(mvn, "-B", "-q", "-f", ROOT.resolve("jmh/pom.xml").toString(), "package")
                .redirectErrorStream(true).redirectOutput(out.resolve("mvn.log").toFile()).start();
        assertTrue(build.waitFor(240, TimeUnit.SECONDS), "the JMH build finishes");
        assertEquals(0, build.exitValue(), Files.readString(out.resolve("mvn.log")));
        Path jar = ROOT.resolve("jmh/target/benchmarks.jar");
        assertTrue(Files.isRegularFile(jar));
        benchmarks = jar;
        return jar;
    }

    /** Runs {@code benchmark} briefly with JMH's allocation profiler; its gc.alloc.rate.norm figures, in order. */
    private static List<Double> bytesPerOp(Path out, List<String> prefix, String benchmark) throws Exception {
        Path json = out.resolve("jmh.json");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Jar.JAVA, "-jar", benchmarksJar(out).toString(), benchmark,
                "-f", "1", "-wi", "2", "-w", "1s", "-i", "2", "-r", "1s", "-prof", "gc", "-rf", "json", "-rff", json.toString()));
        Process jmh = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("jmh.log").toFile()).start();
        assertTrue(jmh.waitFor(120, TimeUnit.SECONDS), "the JMH run finishes");
        assertEquals(0, jmh.exitValue(), Files.readString(out.resolve("jmh.log")));
        String result = Files.readString(json, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"gc\\.alloc\\.rate\\.norm\"\\s*:\\s*\\{\\s*\"score\"\\s*:\\s*([0-9.eE+-]+)").matcher(result);
        List<Double> figures = new ArrayList<>();
        while (m.find()) figures.add(Double.parseDouble(m.group(1)));
        return figures;
    }

    /** The event-loop benchmark, epoll and io_uring: one allocated object per message would be ≥ 16 B/op. */
    @Test
    void theJmhModuleBuildsAndTheEventLoopPathAllocatesNothing(@TempDir Path out) throws Exception {
        List<Double> figures = bytesPerOp(out, List.of(), "EventLoopBench");
        assertEquals(3, figures.size(), "one allocation figure per backend (EPOLL_LEVEL, EPOLL_EDGE, IO_URING): " + figures);
        for (double b : figures) assertTrue(b < 8, "event loop per message allocates " + b + " B/op");
    }

    /**
     * Goroutine mode's per-message path, pinned to one CPU as the bench runs it. The JDK allocates
     * one 24-byte ForkJoinTask wrapper when the netpoller's platform thread unparks the handler
     * (VirtualThreadParkBench shows the JDK's own share); ffm-echo must add less than one object
     * more. Before the netpoller woke threads after releasing its lock and parked its idle M without
     * a Condition, this measured 55-59 B/op.
     */
    @Test
    void theGoroutinePathAllocatesNothingOfItsOwn(@TempDir Path out) throws Exception {
        String taskset = Tools.require("taskset", "pin the benchmark to one CPU");
        List<Double> figures = bytesPerOp(out, List.of(taskset, "-c", "0"), "GoroutineBench");
        assertEquals(2, figures.size(), "one allocation figure per profile (go1.19, go1.6): " + figures);
        for (double b : figures) assertTrue(b < 40, "goroutine mode per message allocates " + b + " B/op");
    }
}
