package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * One story of each trace (either side may be missing) and the edit script between them: what
 * every renderer walks. A sequential comparison has one section without a title.
 */
final class Section {
    /** Null for the sequential whole-trace section, else what the section compares. */
    final String title;
    final List<Entry> reference;
    final List<Entry> actual;
    final List<MyersDiff.Op> ops;
    final int deleted;
    final int inserted;

    Section(String title, List<Entry> reference, List<Entry> actual) {
        this.title = title;
        this.reference = List.copyOf(reference);
        this.actual = List.copyOf(actual);
        this.ops = MyersDiff.diff(texts(reference), texts(actual));
        this.deleted = (int) ops.stream().filter(o -> o.type() == MyersDiff.Type.DELETE).count();
        this.inserted = (int) ops.stream().filter(o -> o.type() == MyersDiff.Type.INSERT).count();
    }

    private static List<String> texts(List<Entry> entries) {
        return entries.stream().map(Entry::text).toList();
    }

    boolean equal() { return deleted == 0 && inserted == 0; }

    /** The section's heading line (titled sections only): what it compares and whether it differs. */
    String header() {
        return "=== " + title + (equal() ? ": equal" : ": differs (" + deleted
                + " reference line(s) missing or changed, " + inserted + " actual line(s) not in the reference)");
    }

    Entry ref(MyersDiff.Op op) { return op.a() < 0 ? null : reference.get(op.a()); }

    Entry act(MyersDiff.Op op) { return op.b() < 0 ? null : actual.get(op.b()); }

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
