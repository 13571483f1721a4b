package dev.ffmecho;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The 2016 study note's three strace excerpts (yuuki, 2016/05/11,
 * https://gist.github.com/yuuki/99b06be97a2f47b169aaa21e9d2cae76), as the bundled go1.6 reference
 * carries them between its {@code # --- seed block N} markers. The note itself is not part of the
 * repository; what proves the copies verbatim is the SHA-256 of each excerpt recorded when the
 * reference was made from the note ({@link #RECORDED_SHA256}, also in the reference's header).
 */
public final class StudyNote {
    private StudyNote() {}

    public static final String REFERENCE_RESOURCE = "/dev/ffmecho/trace/go1.6.strace";

    /**
     * SHA-256 of each excerpt exactly as the note's fenced block holds it: its lines, each ending
     * in a newline. Computed from the note when the reference was made.
     */
    public static final List<String> RECORDED_SHA256 = List.of(
            "839443bf77ac3b96fd4d58a3c0a30599fde37ccd267518e0460ca753cee33041",
            "5709a63cfe4e9662eeb2006d488116988e01b861bf3820672d20fd2ebf48a5e9",
            "8acc28a0c66a3890c6819eb9f404d1206fa38b21e0518947eb988726b6cc83c3");

    /** The three excerpts, each as its lines, in the note's order. */
    public static List<List<String>> excerpts() {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : referenceText().lines().toList()) {
            if (line.startsWith("# --- ")) {
                current = line.startsWith("# --- seed block ") ? new ArrayList<>() : null;
                if (current != null) blocks.add(current);
            } else if (current != null && !line.startsWith("#")) {
                current.add(line);
            }
        }
        return blocks.stream().map(List::copyOf).toList();
    }

    /** Every line of the three excerpts, in order (what a note may quote as {@code <!-- seed -->}). */
    public static List<String> excerptLines() {
        return excerpts().stream().flatMap(List::stream).toList();
    }

    /** SHA-256 (hex) of an excerpt in the note's form: each line followed by a newline. */
    public static String sha256(List<String> excerpt) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String line : excerpt) md.update((line + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    private static String referenceText() {
        try (InputStream in = StudyNote.class.getResourceAsStream(REFERENCE_RESOURCE)) {
            if (in == null) throw new AssertionError(REFERENCE_RESOURCE + " is not on the test classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + REFERENCE_RESOURCE, e);
        }
    }
}
