package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison of an actual trace with a reference: one {@link Section} per pair of stories
 * (sequentially one, the whole trace), plus one for accept waits whose shape the other trace
 * never shows, and what every renderer needs to describe both sides.
 */
final class DiffReport {
    final NormalizedTrace reference;
    final NormalizedTrace actual;
    final Stories referenceStories;
    final Stories actualStories;
    final String referenceLabel;
    final String actualLabel;
    /** The story sections, then the accept-wait section when there are waits between accepts. */
    final List<Section> sections;
    final int deleted;
    final int inserted;
    /** With --concurrent: how the connections paired (empty sequentially). */
    final List<ConnMatcher.Pair> pairs;
    private final int storySections;
    private final int waitsBetween;

    DiffReport(Stories reference, String referenceLabel, Stories actual, String actualLabel) {
        this.reference = reference.trace();
        this.actual = actual.trace();
        this.referenceStories = reference;
        this.actualStories = actual;
        this.referenceLabel = referenceLabel;
        this.actualLabel = actualLabel;
        this.pairs = reference.concurrent()
                ? ConnMatcher.pair(reference.ofKind(Story.Kind.CONNECTION), actual.ofKind(Story.Kind.CONNECTION))
                : List.of();
        List<Section> all = new ArrayList<>(storySections(reference, actual, pairs));
        this.storySections = all.size();
        this.waitsBetween = reference.waitsBetweenAccepts().size() + actual.waitsBetweenAccepts().size();
        if (waitsBetween > 0) all.add(waitSection(reference, actual));
        this.sections = List.copyOf(all);
        this.deleted = sections.stream().mapToInt(s -> s.deleted).sum();
        this.inserted = sections.stream().mapToInt(s -> s.inserted).sum();
    }

    /** A sequential comparison of two traces. */
    DiffReport(NormalizedTrace reference, String referenceLabel, NormalizedTrace actual, String actualLabel) {
        this(Stories.sequential(reference), referenceLabel, Stories.sequential(actual), actualLabel);
    }

    boolean equal() { return deleted == 0 && inserted == 0; }

    boolean concurrent() { return referenceStories.concurrent(); }

    private static List<Section> storySections(Stories ref, Stories act, List<ConnMatcher.Pair> pairs) {
        if (!ref.concurrent()) {
            return List.of(new Section(null, ref.stories().get(0).entries(), act.stories().get(0).entries()));
        }
        List<Section> out = new ArrayList<>();
        out.add(new Section("listener: setup and accepts", only(ref, Story.Kind.LISTENER), only(act, Story.Kind.LISTENER)));
        for (ConnMatcher.Pair p : pairs) {
            out.add(new Section(connectionTitle(p), entries(p.ref()), entries(p.act())));
        }
        out.add(new Section("process: netpoll, wake-ups, splice pipes", only(ref, Story.Kind.PROCESS),
                only(act, Story.Kind.PROCESS)));
        return out;
    }

    private static List<Entry> only(Stories s, Story.Kind kind) {
        return s.ofKind(kind).stream().flatMap(story -> story.entries().stream()).toList();
    }

    private static List<Entry> entries(Story s) {
        return s == null ? List.of() : s.entries();
    }

    /** Which connection of each file a section compares, and how they were paired. */
    static String connectionTitle(ConnMatcher.Pair p) {
        if (p.act() == null) {
            return "connection " + p.ref().whereInFile() + " in reference, none in actual (the actual trace has fewer connections)";
        }
        if (p.ref() == null) {
            return "connection " + p.act().whereInFile() + " in actual, none in reference (the actual trace has more connections)";
        }
        String both = "connection " + p.ref().whereInFile() + " in reference, " + p.act().whereInFile() + " in actual";
        return p.equal() ? both : both + " (no equal connection in the actual trace: the closest pair)";
    }

    /** The waits between accepts whose shape the other side never shows: '-' the reference's, '+' the actual's. */
    private static Section waitSection(Stories ref, Stories act) {
        List<Entry> refOnly = AcceptWaits.unmatched(ref.waits(), act.waits()).stream().map(AcceptWaits.AcceptWait::asEntry).toList();
        List<Entry> actOnly = AcceptWaits.unmatched(act.waits(), ref.waits()).stream().map(AcceptWaits.AcceptWait::asEntry).toList();
        return new Section("accept waits between accepts (where they fall and when the client ends them are timing; each"
                + " round must be a prefix of a round among the other trace's waits)", refOnly, actOnly);
    }

    /** The one-line verdict. */
    String verdict() {
        if (!equal()) return "trace-diff: DIFFERENT: " + differingStories() + deleted
                + " reference line(s) missing or changed in the actual trace, " + inserted + " actual line(s) not in the reference";
        StringBuilder sb = new StringBuilder("trace-diff: ").append(actualLabel).append(" matches ").append(referenceLabel)
                .append(": ");
        if (concurrent()) sb.append(storySections).append(" stories compared and matched (").append(connections()).append("), ");
        sb.append(actualStories.lineCount()).append(" normalized lines (")
                .append(actual.comparedCalls()).append(" network calls) compared");
        if (waitsBetween > 0) {
            sb.append(", ").append(actualStories.waitsBetweenAccepts().size())
                    .append(" accept wait(s) between accepts matched by shape");
        }
        if (actual.cutWhat() != null) {
            sb.append(", up to ").append(actual.cutWhat()).append(" at line ").append(actual.cutLine());
            sb.append("; ").append(actual.trailerCalls()).append(" calls after it not compared");
        }
        return sb.toString();
    }

    /** With --concurrent: how many stories differ and how the connections paired; sequentially nothing. */
    private String differingStories() {
        if (!concurrent()) return "";
        long differ = sections.subList(0, storySections).stream().filter(s -> !s.equal()).count();
        return differ + " of " + storySections + " stories differ (" + connections() + "); ";
    }

    private String connections() {
        int ref = referenceStories.ofKind(Story.Kind.CONNECTION).size();
        int act = actualStories.ofKind(Story.Kind.CONNECTION).size();
        long equal = pairs.stream().filter(ConnMatcher.Pair::equal).count();
        return "listener, process, connections: " + ref + " in reference, " + act + " in actual, " + equal + " paired equal";
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
}
