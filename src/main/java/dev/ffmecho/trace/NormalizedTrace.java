package dev.ffmecho.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A trace reduced to what trace-diff compares: parse → network story → per-call rules →
 * transfer folding. {@code compared} are the lines diffed; {@code trailer} the calls after the
 * signal (shown, not compared); {@code counts} what every {@link Rule} did, for --explain.
 *
 * @param name       how the trace is named in output (file name, or "go1.6")
 * @param compared   normalized lines up to the signal cut
 * @param trailer    normalized lines after it
 * @param cutLine    source line of the cut (0: no signal, compared to the end)
 * @param cutWhat    what cut it ("SIGTERM", "killed by SIGTERM"), or null
 * @param comparedCalls number of network calls behind {@code compared}
 * @param trailerCalls  number of network calls behind {@code trailer}
 */
public record NormalizedTrace(String name, List<Entry> compared, List<Entry> trailer, int cutLine, String cutWhat,
                              int comparedCalls, int trailerCalls, RuleCounts counts, StraceParser.Stats stats) {

    /** Reads a trace file. Latin-1 so that no byte sequence can fail to decode. */
    public static NormalizedTrace load(Path file) throws TraceParseException {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new TraceParseException(name, 0, "is a directory; pass the trace file written by strace -f -o FILE");
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            return read(name, in);
        } catch (NoSuchFileException e) {
            throw new TraceParseException(name, 0,
                    "no such file; capture one with: strace -f -o " + name + " java --enable-native-access=ALL-UNNAMED -jar ffm-echo.jar");
        } catch (AccessDeniedException e) {
            throw new TraceParseException(name, 0, "permission denied; make the file readable (chmod +r) or run as its owner");
        } catch (IOException e) {
            throw new TraceParseException(name, 0, "cannot read (" + e.getMessage() + ")");
        }
    }

    /** Reads a bundled resource trace. */
    public static NormalizedTrace load(String name, InputStream in) throws TraceParseException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1))) {
            return read(name, r);
        } catch (IOException e) {
            throw new TraceParseException(name, 0, "cannot read (" + e.getMessage() + ")");
        }
    }

    /** From text in memory (tests). */
    public static NormalizedTrace of(String name, String text) throws TraceParseException {
        return read(name, new BufferedReader(new StringReader(text)));
    }

    static NormalizedTrace read(String name, BufferedReader in) throws TraceParseException {
        RuleCounts counts = new RuleCounts();
        NetworkStory story = new NetworkStory(counts);
        StraceParser.Stats stats = StraceParser.parse(name, in, story, counts);
        NetworkStory.Result r = story.finish();
        if (r.compared().isEmpty() && r.after().isEmpty()) {
            throw new TraceParseException(name, 0, "no network story: " + stats.syscalls()
                    + " system calls but none on a socket, accept4, epoll or somaxconn fd;"
                    + " trace the server with strace -f (its sockets are made on a JVM thread)");
        }
        Normalizer normalizer = new Normalizer(counts);
        List<NormalizedCall> compared = new ArrayList<>();
        for (NetworkStory.StoryCall c : r.compared()) compared.add(normalizer.normalize(c));
        List<NormalizedCall> after = new ArrayList<>();
        for (NetworkStory.StoryCall c : r.after()) after.add(normalizer.normalize(c));
        TransferFolder folder = new TransferFolder(counts);
        List<Entry> comparedEntries = folder.fold(compared);
        // The trailer is folded with a throwaway counter: it is not compared, so its folds are not
        // normalizations of the comparison.
        List<Entry> trailerEntries = new TransferFolder(new RuleCounts()).fold(after);
        return new NormalizedTrace(name, List.copyOf(comparedEntries), List.copyOf(trailerEntries), r.cutLine(),
                r.cutWhat(), compared.size(), after.size(), counts, stats);
    }

    /** The compared lines' texts, one per line (what the diff sees). */
    public List<String> lines() {
        return compared.stream().map(Entry::text).toList();
    }
}
