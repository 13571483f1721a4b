package dev.ffmecho.it;

import dev.ffmecho.StudyNote;
import dev.ffmecho.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * native-notes/ stays true: every trace a note quotes is re-captured from the real programs by
 * native-notes/capture-traces.sh and must still be there, and --narrate tells the same story as
 * strace and links to notes that exist.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NativeNotesIT {
    private static final Path NOTES = Path.of("native-notes").toAbsolutePath();
    private static final Pattern MARKER = Pattern.compile("<!--\\s*(captured:\\s*(\\S+)|seed)\\s*-->");
    private static final Pattern NOTE_LINK = Pattern.compile("native-notes/([0-9]{2}-[a-z0-9-]+\\.md)");

    @TempDir
    Path dir;

    @Test
    void narrationTellsTheSameStoryAsStraceAndLinksToNotesThatExist() throws Exception {
        Path trace = GoldenTraceIT.capture(dir.resolve("narrate"), "", "127.0.0.1", "--narrate");
        Path narration = trace.resolveSibling("stderr.txt");
        List<String> lines = Files.readAllLines(narration, StandardCharsets.UTF_8);
        assertTrue(lines.size() > 30, "narration has a line per syscall: " + lines);

        GoldenTraceIT.Diff sameRun = GoldenTraceIT.traceDiff(trace, "--reference", narration.toString());
        assertEquals(0, sameRun.status(), "narration vs strace of the same run:\n" + sameRun.out() + sameRun.err());
        GoldenTraceIT.Diff go = GoldenTraceIT.traceDiff(narration);
        assertEquals(0, go.status(), "narration vs the Go 1.6 reference:\n" + go.out() + go.err());

        for (String line : lines) {
            if (line.startsWith("---")) continue; // the signal, as strace prints it
            Matcher m = NOTE_LINK.matcher(line);
            assertTrue(m.find() && line.contains("  \u2190 "), "each call names its Go function and note: " + line);
            assertTrue(Files.isRegularFile(NOTES.resolve(m.group(1))), "the linked note exists: " + m.group(1));
        }
    }

    /**
     * Every ```strace quote in a note is a run of consecutive lines of a fresh capture (or of the
     * seed). ffm-echo's captures are deterministic, so its committed traces must equal a fresh one.
     * The Go runtime's are not quite: its scheduler may poll once more, or with a timer's timeout,
     * when the machine is busy. A Go quote therefore has to appear in one of up to
     * {@value #GO_CAPTURES} fresh captures — it shows what Go does in an honest run, not in every run.
     */
    @Test
    void everyQuotedTraceIsStillWhatTheProgramsDo() throws Exception {
        Tools.require("strace", "re-capture the traces the notes quote");
        Tools.require("go", "build the Go study program whose traces the notes quote");
        List<Path> captures = new ArrayList<>(List.of(capture(1)));

        // ffm-echo's own normalized traces are deterministic: the committed copies must not drift.
        try (var committed = Files.list(NOTES.resolve("traces"))) {
            for (Path c : committed.filter(f -> f.getFileName().toString().startsWith("ffm-echo-")).toList()) {
                assertEquals(Files.readAllLines(c), Files.readAllLines(captures.get(0).resolve(c.getFileName())),
                        c + " drifted from a fresh capture: rerun native-notes/capture-traces.sh and update the notes");
            }
        }

        List<String> seed = StudyNote.excerptLines();
        int quotes = 0;
        for (Path note : notes()) {
            List<String> md = Files.readAllLines(note);
            for (int i = 0; i < md.size(); i++) {
                if (!md.get(i).strip().equals("```strace")) continue;
                String where = note.getFileName() + ":" + (i + 1);
                Matcher m = i > 0 ? MARKER.matcher(md.get(i - 1)) : null;
                if (m == null || !m.find()) fail(where + ": a ```strace block must be marked <!-- captured: traces/FILE --> or <!-- seed -->");
                List<String> block = new ArrayList<>();
                for (int j = i + 1; j < md.size() && !md.get(j).strip().equals("```"); j++) block.add(md.get(j));
                assertFalse(block.isEmpty(), where + ": empty quote");
                quotes++;
                if (m.group(2) == null) {
                    assertTrue(Collections.indexOfSubList(seed, block) >= 0,
                            where + ": the quoted lines are not in the seed:\n" + String.join("\n", block));
                    continue;
                }
                Path file = Path.of(m.group(2)).getFileName();
                boolean deterministic = file.toString().startsWith("ffm-echo-");
                while (!quotedIn(captures, file, block) && !deterministic && captures.size() < GO_CAPTURES) {
                    captures.add(capture(captures.size() + 1));
                }
                assertTrue(quotedIn(captures, file, block), where + ": the quoted lines are not (or no longer) in "
                        + captures.size() + " fresh capture(s) of " + m.group(2) + ":\n" + String.join("\n", block)
                        + "\n--- the first fresh capture:\n" + String.join("\n", Files.readAllLines(captures.get(0).resolve(file))));
            }
        }
        assertTrue(quotes >= 12, "the notes quote captured traces (found " + quotes + ")");
    }

    private static final int GO_CAPTURES = 3;

    private static boolean quotedIn(List<Path> captures, Path file, List<String> block) throws IOException {
        for (Path c : captures) {
            if (Collections.indexOfSubList(Files.readAllLines(c.resolve(file)), block) >= 0) return true;
        }
        return false;
    }

    /** One run of native-notes/capture-traces.sh into a fresh directory. */
    private Path capture(int n) throws IOException, InterruptedException {
        Path out = dir.resolve("traces-" + n);
        Path log = dir.resolve("capture-" + n + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", NOTES.resolve("capture-traces.sh").toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAR", Jar.PATH.toString());
        pb.environment().put("JAVA", Jar.JAVA);
        Process p = pb.start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "capture-traces.sh finished");
        assertEquals(0, p.exitValue(), Files.readString(log));
        return out;
    }

    @Test
    void theIndexLinksEveryNoteAndEveryNoteExists() throws IOException {
        String index = Files.readString(NOTES.resolve("README.md"));
        List<Path> notes = notes();
        assertEquals(15, notes.size(), "one note per question of the study note (01-10) and ours (11 FFM, 12 Go versions, "
                + "13 performance, 14 goroutine scheduling, 15 io_uring): " + notes);
        for (Path n : notes) assertTrue(index.contains("(" + n.getFileName() + ")"), "README.md links " + n.getFileName());
    }

    private static List<Path> notes() throws IOException {
        try (var files = Files.list(NOTES)) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9]{2}-.*\\.md")).sorted().toList();
        }
    }
}
