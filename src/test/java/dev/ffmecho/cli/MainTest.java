package dev.ffmecho.cli;

import dev.ffmecho.flags.UsageException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line parsing, in process: every bad input is one line on stderr and exit 2. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(Arrays.asList(args), new PrintStream(out, true), new PrintStream(err, true));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--bogus|unknown flag --bogus",
            "serve --listen|--listen needs a value",
            "--listen :99999|port 99999 out of range",
            "--listen nohost:1|unknown host \"nohost\"",
            "--listen 10020|missing port",
            "--mode threads|--mode threads is not one of sequential, goroutine, eventloop",
            "--profile go1.5|--profile go1.5 is not one of go1.6, go1.19",
            "--loops 4|--loops applies to --mode eventloop only",
            "--mode eventloop --loops 0|--loops 0 is not a whole number",
            "--mode eventloop --trigger both|--trigger both is not one of level, edge",
            "--mode eventloop --accept many|--accept many is not one of reuseport, single",
            "--trigger edge|--trigger applies to --mode eventloop only",
            "--mode goroutine --accept single|--accept applies to --mode eventloop only",
            "--procs 2|--procs applies to --mode goroutine only",
            "--mode eventloop --procs 2|--procs applies to --mode goroutine only",
            "--mode goroutine --procs 0|--procs 0 is not a whole number from 1 to 32767",
            "--max-conns -3|--max-conns -3 is not a whole number",
            "--quiet=yes|--quiet takes no value",
            "--narrate=1|--narrate takes no value",
            "stray|unexpected argument \"stray\"",
    })
    void badInputIsOneLineNamingTheProblemAndExit2(String args, String message) {
        assertEquals(2, run(args.split(" ")));
        String text = err.toString();
        assertTrue(text.startsWith("ffm-echo: "), text);
        assertTrue(text.contains(message), text);
        assertEquals(1, text.lines().count(), "one line: " + text);
        assertEquals("", out.toString());
    }

    @Test
    void defaultsReproduceTheTracedRun() throws UsageException {
        ServeOptions o = ServeOptions.parse(List.of());
        assertEquals(":10020", o.listen());
        assertEquals("go1.6", o.profile());
        assertEquals("sequential", o.mode());
        assertEquals(false, o.quiet());
    }

    @Test
    void flagsAcceptBothSpaceAndEqualsForms() throws UsageException {
        ServeOptions o = ServeOptions.parse(List.of("--listen=[::1]:9", "--mode", "eventloop", "--loops=3", "-q",
                "--trigger", "edge", "--accept=single"));
        assertEquals("[::1]:9", o.listen());
        assertEquals(3, o.loops());
        assertEquals("edge", o.trigger());
        assertEquals("single", o.accept());
        assertTrue(o.quiet());
    }

    @Test
    void procsIsGoroutineModesGomaxprocs() throws UsageException {
        assertEquals(3, ServeOptions.parse(List.of("--mode", "goroutine", "--procs=3")).procs());
        assertEquals(0, ServeOptions.parse(List.of("--mode", "goroutine")).procs(), "0: the default, the CPUs");
    }

    @Test
    void helpAndVersionExitZero() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("trace-diff ACTUAL"));
        out.reset();
        assertEquals(0, run("--version"));
        assertTrue(out.toString().startsWith("ffm-echo "));
    }
}
