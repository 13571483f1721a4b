package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pipes that transfers splice through: named {@code pipeS}, and only the first one's creation
 * compared. Go takes them from a sync.Pool (internal/poll/splice_linux.go:getPipe at go1.19 and
 * go1.23), and whether a transfer finds one there is timing twice over: with goroutines on several
 * Ps, which P's cache a transfer looks in is scheduling; and every GC empties a pool (sync.Pool's
 * doc: "Any item stored in the Pool may be removed automatically at any time without
 * notification"; runtime's {@code poolCleanup} runs at each GC), so even the sequential study
 * program makes a new pipe for some later connection when a GC came between. Other pipes (Go
 * 1.19's netpollBreak pipe) are not splice pipes and are compared as they are.
 *
 * @param numbers the pipe numbers ({@code pipeN}) that transfers splice through
 * @param first   the number of the first of them created, whose creation is compared
 */
record SplicePipes(Set<String> numbers, String first) {

    private static final Pattern PIPE_ROLE = Pattern.compile("\\bpipe(\\d+)([rw])\\b");

    /** The splice pipes of {@code users} (lines that move a connection's bytes), created in {@code creators}. */
    static SplicePipes of(List<List<Entry>> users, List<Entry> creators) {
        Set<String> numbers = new LinkedHashSet<>();
        for (List<Entry> story : users) {
            for (Entry e : story) {
                Matcher m = PIPE_ROLE.matcher(e.text());
                while (m.find()) numbers.add(m.group(1));
            }
        }
        String first = null;
        for (Entry e : creators) {
            String n = creationOf(e);
            if (n != null && numbers.contains(n)) {
                first = n;
                break;
            }
        }
        return new SplicePipes(numbers, first);
    }

    /** A whole (sequential) trace: the pipes its transfers and splice calls use. */
    static SplicePipes of(List<Entry> entries) {
        List<Entry> users = entries.stream()
                .filter(e -> e.kind() == Entry.Kind.TRANSFER || (e.call() != null && e.call().name().equals("splice")))
                .toList();
        return of(List.of(users), entries);
    }

    /** The pipe number a pipe2 or fcntl call sets up, or null. */
    private static String creationOf(Entry e) {
        NormalizedCall c = e.call();
        if (c == null || !Set.of("pipe", "pipe2", "fcntl", "fcntl64").contains(c.name())) return null;
        Matcher m = PIPE_ROLE.matcher(String.valueOf(ConcurrentStories.owner(e)));
        return m.matches() ? m.group(1) : null;
    }

    /** {@code entries} without the creation of splice pipes after the first, splice pipes renamed. */
    List<Entry> pool(List<Entry> entries, RuleCounts counts) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            String n = creationOf(e);
            if (n != null && numbers.contains(n) && !n.equals(first)) {
                counts.inc(Rule.SPLICE_PIPE_POOL);
                continue;
            }
            out.add(e);
        }
        return rename(out);
    }

    /** Splice pipes renamed {@code pipeS}; other pipes keep their role. */
    List<Entry> rename(List<Entry> entries) {
        if (numbers.isEmpty()) return entries;
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            Matcher m = PIPE_ROLE.matcher(e.text());
            StringBuilder text = new StringBuilder();
            while (m.find()) {
                String to = numbers.contains(m.group(1)) ? "pipeS" + m.group(2) : m.group();
                m.appendReplacement(text, Matcher.quoteReplacement(to));
            }
            m.appendTail(text);
            out.add(e.withText(text.toString()));
        }
        return out;
    }
}
