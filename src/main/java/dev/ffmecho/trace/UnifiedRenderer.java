package dev.ffmecho.trace;

import java.io.PrintStream;
import java.util.List;

/**
 * The default output: a unified diff of the normalized lines. '-' lines are the reference's (the
 * Go program's), '+' lines ours; each shows the source line number in its own file, and changed
 * lines also show the raw strace text they came from, so a reader can check the normalization.
 * With --concurrent each story is a section headed {@code === listener…}, {@code === connection
 * conn3 (accepted at line …) in reference, conn1 (…) in actual…}, {@code === process…}, and its
 * hunks count lines within that story.
 */
final class UnifiedRenderer {
    private UnifiedRenderer() {}

    static final int CONTEXT = 3;

    static void render(DiffReport r, PrintStream out) {
        out.println("--- reference: " + r.referenceLabel + "  (" + DiffReport.describe(r.reference) + ")");
        out.println("+++ actual:    " + r.actualLabel + "  (" + DiffReport.describe(r.actual) + ")");
        out.println(r.verdict());
        int width = lineWidth(r);
        for (Section s : r.sections) {
            if (s.title != null) out.println(s.header());
            renderHunks(s, width, out);
        }
        printTrailer("reference", r.reference, out);
        printTrailer("actual", r.actual, out);
    }

    /** The changes of one section, each with up to {@link #CONTEXT} equal lines around it. */
    private static void renderHunks(Section s, int width, PrintStream out) {
        List<MyersDiff.Op> ops = s.ops;
        int i = 0;
        while (i < ops.size()) {
            if (ops.get(i).type() == MyersDiff.Type.EQUAL) {
                i++;
                continue;
            }
            int start = Math.max(0, i - CONTEXT);
            int end = i;
            // extend the hunk while the next change is within 2*CONTEXT equal lines
            while (true) {
                while (end < ops.size() && ops.get(end).type() != MyersDiff.Type.EQUAL) end++;
                int next = end;
                while (next < ops.size() && ops.get(next).type() == MyersDiff.Type.EQUAL) next++;
                if (next < ops.size() && next - end <= 2 * CONTEXT) {
                    end = next;
                } else {
                    end = Math.min(ops.size(), end + CONTEXT);
                    break;
                }
            }
            out.println(hunkHeader(ops.subList(start, end)));
            for (int k = start; k < end; k++) printOp(s, ops.get(k), width, out);
            i = end;
        }
    }

    private static String hunkHeader(List<MyersDiff.Op> hunk) {
        int aFirst = -1;
        int aCount = 0;
        int bFirst = -1;
        int bCount = 0;
        for (MyersDiff.Op op : hunk) {
            if (op.a() >= 0) {
                if (aFirst < 0) aFirst = op.a();
                aCount++;
            }
            if (op.b() >= 0) {
                if (bFirst < 0) bFirst = op.b();
                bCount++;
            }
        }
        return "@@ -" + (aFirst + 1) + "," + aCount + " +" + (bFirst + 1) + "," + bCount + " @@";
    }

    private static int lineWidth(DiffReport r) {
        int w = 4;
        for (Section s : r.sections) {
            for (Entry e : s.reference) w = Math.max(w, e.lineRef().length());
            for (Entry e : s.actual) w = Math.max(w, e.lineRef().length());
        }
        return w;
    }

    private static void printOp(Section s, MyersDiff.Op op, int w, PrintStream out) {
        Entry ref = s.ref(op);
        Entry act = s.act(op);
        switch (op.type()) {
            case EQUAL -> out.println("  " + pad(ref.lineRef(), w) + " " + pad(act.lineRef(), w) + "  " + act.text());
            case DELETE -> {
                out.println("- " + pad(ref.lineRef(), w) + " " + pad("", w) + "  " + ref.text());
                printRaw(ref, w, out);
            }
            case INSERT -> {
                out.println("+ " + pad("", w) + " " + pad(act.lineRef(), w) + "  " + act.text());
                printRaw(act, w, out);
            }
        }
    }

    private static void printRaw(Entry e, int w, PrintStream out) {
        String raw = e.raw();
        if (raw == null) return;
        out.println("  " + pad("", 2 * w + 1) + "  . raw: " + truncate(raw.strip(), 240));
    }

    private static void printTrailer(String side, NormalizedTrace t, PrintStream out) {
        if (t.trailer().isEmpty()) return;
        out.println("after signal (not compared): " + side + " from " + t.cutWhat() + " at line " + t.cutLine() + ":");
        for (Entry e : t.trailer()) out.println("  " + pad(e.lineRef(), 6) + "  " + e.text());
    }

    static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
