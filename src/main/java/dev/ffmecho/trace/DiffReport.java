package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison of an actual trace with a reference: the edit script over their normalized
 * lines, plus what every renderer needs to describe both sides.
 */
final class DiffReport {
    final NormalizedTrace reference;
    final NormalizedTrace actual;
    final String referenceLabel;
    final String actualLabel;
    final List<MyersDiff.Op> ops;
    final int deleted;
    final int inserted;

    DiffReport(NormalizedTrace reference, String referenceLabel, NormalizedTrace actual, String actualLabel) {
        this.reference = reference;
        this.actual = actual;
        this.referenceLabel = referenceLabel;
        this.actualLabel = actualLabel;
        this.ops = MyersDiff.diff(reference.lines(), actual.lines());
        this.deleted = (int) ops.stream().filter(o -> o.type() == MyersDiff.Type.DELETE).count();
        this.inserted = (int) ops.stream().filter(o -> o.type() == MyersDiff.Type.INSERT).count();
    }

    boolean equal() { return deleted == 0 && inserted == 0; }

    Entry ref(MyersDiff.Op op) { return op.a() < 0 ? null : reference.compared().get(op.a()); }

    Entry act(MyersDiff.Op op) { return op.b() < 0 ? null : actual.compared().get(op.b()); }

    /** The one-line verdict. */
    String verdict() {
        if (equal()) {
            StringBuilder sb = new StringBuilder("trace-diff: ")
                    .append(actualLabel).append(" matches ").append(referenceLabel).append(": ")
                    .append(actual.compared().size()).append(" normalized lines (")
                    .append(actual.comparedCalls()).append(" network calls) compared");
            if (actual.cutWhat() != null) {
                sb.append(", up to ").append(actual.cutWhat()).append(" at line ").append(actual.cutLine());
                sb.append("; ").append(actual.trailerCalls()).append(" calls after it not compared");
            }
            return sb.toString();
        }
        return "trace-diff: DIFFERENT: " + deleted + " reference line(s) missing or changed in the actual trace, "
                + inserted + " actual line(s) not in the reference";
    }

    /** Describes one side for a header: name, line/call counts, where it was cut. */
    static String describe(NormalizedTrace t) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.compared().size()).append(" lines from ").append(t.comparedCalls()).append(" network calls");
        sb.append(t.cutWhat() == null ? ", no signal: compared to the end"
                : ", cut at " + t.cutWhat() + " (line " + t.cutLine() + ")");
        if (t.stats().skipped() > 0) {
            sb.append(", ").append(t.stats().skipped()).append(" unrecognized line(s) skipped (first: line ")
                    .append(t.stats().firstSkippedLine()).append(')');
        }
        return sb.toString();
    }

    /** Change blocks paired for two-column output: rows of (ref entry, act entry) with a marker. */
    record Row(char marker, Entry ref, Entry act) {}

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        List<Entry> dels = new ArrayList<>();
        List<Entry> ins = new ArrayList<>();
        for (MyersDiff.Op op : ops) {
            switch (op.type()) {
                case DELETE -> dels.add(ref(op));
                case INSERT -> ins.add(act(op));
                case EQUAL -> {
                    flush(rows, dels, ins);
                    rows.add(new Row(' ', ref(op), act(op)));
                }
            }
        }
        flush(rows, dels, ins);
        return rows;
    }

    private static void flush(List<Row> rows, List<Entry> dels, List<Entry> ins) {
        int n = Math.max(dels.size(), ins.size());
        for (int i = 0; i < n; i++) {
            Entry d = i < dels.size() ? dels.get(i) : null;
            Entry a = i < ins.size() ? ins.get(i) : null;
            rows.add(new Row(d != null && a != null ? '|' : d != null ? '<' : '>', d, a));
        }
        dels.clear();
        ins.clear();
    }
}
