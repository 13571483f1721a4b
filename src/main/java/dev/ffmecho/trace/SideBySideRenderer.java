package dev.ffmecho.trace;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --side-by-side}: reference (Go) on the left, ours on the right, sdiff markers in the
 * middle: ' ' same, '|' changed, '<' only in the reference, '>' only in ours. Long lines (a
 * sockaddr makes 180 columns) wrap inside their column instead of being cut, so nothing that
 * could be the difference is hidden. With --concurrent each story's rows follow a
 * {@code === story} line naming it (for a connection, its role and accept line in each file).
 */
final class SideBySideRenderer {
    private SideBySideRenderer() {}

    static final int MAX_COLUMN = 100;

    static void render(DiffReport r, PrintStream out) {
        int lw = 4;
        int tw = 10;
        for (Section.Row row : r.sections.stream().flatMap(s -> s.rows().stream()).toList()) {
            for (Entry e : new Entry[] {row.ref(), row.act()}) {
                if (e == null) continue;
                lw = Math.max(lw, e.lineRef().length());
                tw = Math.max(tw, e.text().length());
            }
        }
        tw = Math.min(tw, MAX_COLUMN);
        out.println("--- reference: " + r.referenceLabel + "  (" + DiffReport.describe(r.reference) + ")");
        out.println("+++ actual:    " + r.actualLabel + "  (" + DiffReport.describe(r.actual) + ")");
        out.println(r.verdict());
        for (Section s : r.sections) {
            if (s.title != null) out.println(s.header());
            renderRows(s.rows(), lw, tw, out);
        }
        for (NormalizedTrace t : new NormalizedTrace[] {r.reference, r.actual}) {
            if (t.trailer().isEmpty()) continue;
            String side = t == r.reference ? "reference" : "actual";
            out.println("after signal (not compared): " + side + " from " + t.cutWhat() + " at line " + t.cutLine() + ":");
            for (Entry e : t.trailer()) out.println("  " + UnifiedRenderer.pad(e.lineRef(), lw) + "  " + e.text());
        }
    }

    private static void renderRows(List<Section.Row> rows, int lw, int tw, PrintStream out) {
        for (Section.Row row : rows) {
            List<String> left = wrap(row.ref() == null ? "" : row.ref().text(), tw);
            List<String> right = wrap(row.act() == null ? "" : row.act().text(), tw);
            int n = Math.max(left.size(), right.size());
            for (int i = 0; i < n; i++) {
                String ll = i == 0 && row.ref() != null ? row.ref().lineRef() : "";
                String rl = i == 0 && row.act() != null ? row.act().lineRef() : "";
                String lt = i < left.size() ? left.get(i) : "";
                String rt = i < right.size() ? right.get(i) : "";
                char mark = i == 0 ? row.marker() : row.marker() == ' ' ? ' ' : ':';
                String line = UnifiedRenderer.pad(ll, lw) + "  " + UnifiedRenderer.pad(lt, tw) + " " + mark + " "
                        + UnifiedRenderer.pad(rl, lw) + "  " + rt;
                out.println(line.stripTrailing());
            }
        }
    }

    /** Splits text into pieces of at most {@code width} characters, preferring to break after ", ". */
    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        String rest = text;
        while (rest.length() > width) {
            int cut = rest.lastIndexOf(", ", width - 2);
            cut = cut <= width / 3 ? width : cut + 2;
            out.add(rest.substring(0, cut));
            rest = "    " + rest.substring(cut);
        }
        out.add(rest);
        return out;
    }
}
