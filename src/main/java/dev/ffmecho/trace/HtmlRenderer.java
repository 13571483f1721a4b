package dev.ffmecho.trace;

import java.util.List;

/**
 * {@code --html OUT.html}: a self-contained side-by-side page (inline CSS, no scripts, no external
 * assets), every text HTML-escaped, changed rows highlighted, with the rules table of --explain
 * so the page stands on its own. With --concurrent each story starts with a heading row naming it
 * (for a connection, its role and accept line in each file), orange when it differs.
 */
final class HtmlRenderer {
    private HtmlRenderer() {}

    static String render(DiffReport r) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>trace-diff: ").append(esc(r.actualLabel)).append(" vs ").append(esc(r.referenceLabel))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n")
                .append("h1{font-size:1.2em}p.verdict{font-weight:bold}p.equal{color:#1a7f37}p.different{color:#b42318}\n")
                .append("table{border-collapse:collapse;width:100%;font:12px/1.4 ui-monospace,monospace}\n")
                .append("td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;white-space:pre-wrap;word-break:break-all}\n")
                .append("th{background:#f3f3f3;text-align:left}td.ln{color:#888;white-space:nowrap;width:5em}\n")
                .append("td.mk{width:1em;text-align:center}\n")
                .append("tr.changed td.txt{background:#fff5c2}tr.removed td.left{background:#ffe0e0}\n")
                .append("tr.added td.right{background:#dcfce0}tr.changed td.mk,tr.removed td.mk,tr.added td.mk{font-weight:bold}\n")
                .append("table.rules td{white-space:normal}\n")
                .append("tr.story th{background:#e8eefc}tr.story.differs th{background:#fde2c8}\n")
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>trace-diff</h1>\n<p>reference: <b>").append(esc(r.referenceLabel)).append("</b> (")
                .append(esc(DiffReport.describe(r.reference))).append(")<br>actual: <b>").append(esc(r.actualLabel))
                .append("</b> (").append(esc(DiffReport.describe(r.actual))).append(")</p>\n");
        h.append("<p class=\"verdict ").append(r.equal() ? "equal" : "different").append("\">")
                .append(esc(r.verdict())).append("</p>\n");
        h.append("<table class=\"diff\">\n<tr><th>line</th><th>reference (Go)</th><th></th><th>line</th><th>actual (ours)</th></tr>\n");
        for (Section s : r.sections) {
            if (s.title != null) {
                h.append("<tr class=\"story").append(s.equal() ? "" : " differs").append("\"><th colspan=\"5\">")
                        .append(esc(s.header().substring("=== ".length()))).append("</th></tr>\n");
            }
            rows(h, s);
        }
        h.append("</table>\n");
        trailer(h, "reference", r.reference);
        trailer(h, "actual", r.actual);
        h.append("<h2>Normalization rules applied</h2>\n<table class=\"rules\">\n")
                .append("<tr><th>rule</th><th>reference</th><th>actual</th><th>why</th></tr>\n");
        for (ExplainRenderer.Line l : ExplainRenderer.fired(r)) {
            h.append("<tr><td>").append(esc(l.rule().id())).append("</td><td>").append(l.reference())
                    .append("</td><td>").append(l.actual()).append("</td><td>").append(esc(l.rule().why()))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void rows(StringBuilder h, Section s) {
        for (Section.Row row : s.rows()) {
            String cls = switch (row.marker()) {
                case '|' -> "changed";
                case '<' -> "removed";
                case '>' -> "added";
                default -> "same";
            };
            h.append("<tr class=\"").append(cls).append("\">")
                    .append(cell("ln", row.ref() == null ? "" : row.ref().lineRef(), null))
                    .append(cell("txt left", row.ref() == null ? "" : row.ref().text(), raw(row.ref())))
                    .append(cell("mk", String.valueOf(row.marker()), null))
                    .append(cell("ln", row.act() == null ? "" : row.act().lineRef(), null))
                    .append(cell("txt right", row.act() == null ? "" : row.act().text(), raw(row.act())))
                    .append("</tr>\n");
        }
    }

    private static void trailer(StringBuilder h, String side, NormalizedTrace t) {
        List<Entry> trailer = t.trailer();
        if (trailer.isEmpty()) return;
        h.append("<h2>after signal (not compared): ").append(esc(side)).append(" from ").append(esc(t.cutWhat()))
                .append(" at line ").append(t.cutLine()).append("</h2>\n<table>\n");
        for (Entry e : trailer) {
            h.append("<tr>").append(cell("ln", e.lineRef(), null)).append(cell("txt", e.text(), raw(e))).append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static String raw(Entry e) {
        return e == null ? null : e.raw();
    }

    private static String cell(String cls, String text, String title) {
        return "<td class=\"" + cls + "\"" + (title == null ? "" : " title=\"" + esc(title.strip()) + "\"") + ">"
                + esc(text) + "</td>";
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
