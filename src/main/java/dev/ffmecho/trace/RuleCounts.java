package dev.ffmecho.trace;

import java.util.EnumMap;
import java.util.Map;

/** How many times each {@link Rule} fired on one trace (what --explain prints). */
public final class RuleCounts {
    private final EnumMap<Rule, Long> counts = new EnumMap<>(Rule.class);

    void add(Rule rule, long n) {
        if (n > 0) counts.merge(rule, n, Long::sum);
    }

    void inc(Rule rule) { add(rule, 1); }

    public long get(Rule rule) { return counts.getOrDefault(rule, 0L); }

    public Map<Rule, Long> asMap() { return Map.copyOf(counts); }

    @Override public String toString() { return counts.toString(); }
}
