package dev.ffmecho.trace;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --explain}: every {@link Rule} that fired on this pair of traces, how many times on each
 * side, and why it is safe. Printed from the same Rule objects and counters the normalizer used.
 */
final class ExplainRenderer {
    private ExplainRenderer() {}

    /** One table row: rule, count in the reference, count in the actual trace. */
    record Line(Rule rule, long reference, long actual) {}

    static List<Line> fired(DiffReport r) {
        List<Line> lines = new ArrayList<>();
        for (Rule rule : Rule.values()) {
            long a = r.reference.counts().get(rule);
            long b = r.actual.counts().get(rule);
            if (a > 0 || b > 0) lines.add(new Line(rule, a, b));
        }
        return lines;
    }

    static List<Rule> notFired(DiffReport r) {
        List<Rule> out = new ArrayList<>();
        for (Rule rule : Rule.values()) {
            if (r.reference.counts().get(rule) == 0 && r.actual.counts().get(rule) == 0) out.add(rule);
        }
        return out;
    }

    static void render(DiffReport r, PrintStream out) {
        out.println();
        out.println("normalization rules applied (times fired in reference / actual), in the order they run:");
        int w = 0;
        for (Rule rule : Rule.values()) w = Math.max(w, rule.id().length());
        out.println("  " + UnifiedRenderer.pad("rule", w) + "  " + String.format("%9s %9s", "reference", "actual") + "  why");
        for (Line l : fired(r)) {
            out.println("  " + UnifiedRenderer.pad(l.rule().id(), w) + "  "
                    + String.format("%9d %9d", l.reference(), l.actual()) + "  " + l.rule().why());
        }
        List<Rule> idle = notFired(r);
        if (!idle.isEmpty()) {
            out.println("  did not fire on either trace: "
                    + String.join(", ", idle.stream().map(Rule::id).toList()));
        }
    }
}
