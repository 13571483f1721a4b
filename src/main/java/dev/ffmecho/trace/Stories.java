package dev.ffmecho.trace;

import java.util.List;

/**
 * A normalized trace cut into the stories trace-diff compares, with the accept waits it found.
 * Sequentially, the whole trace is one story. With --concurrent ({@link ConcurrentStories}):
 * listener, one story per connection in accept order, process.
 *
 * @param waits every complete accept wait, those left in place (before a first accept) included
 */
record Stories(NormalizedTrace trace, boolean concurrent, List<Story> stories, List<AcceptWaits.AcceptWait> waits) {

    Stories {
        stories = List.copyOf(stories);
        waits = List.copyOf(waits);
    }

    /** The whole trace as one story: splice pipes pooled, stray polls and stale-ready retries dropped, accept waits between accepts taken out. */
    static Stories sequential(NormalizedTrace trace) {
        List<Entry> pooled = SplicePipes.of(trace.compared()).pool(trace.compared(), trace.counts());
        List<Entry> waitPollsOnly = AcceptWaits.dropStrayPolls(pooled, trace.counts());
        List<Entry> oneRetryPerWait = AcceptWaits.dropStaleRetries(waitPollsOnly, trace.counts());
        AcceptWaits.Folded folded = AcceptWaits.fold(oneRetryPerWait, trace.counts());
        return new Stories(trace, false, List.of(new Story(Story.Kind.TRACE, null, folded.entries())), folded.waits());
    }

    static Stories concurrent(NormalizedTrace trace) {
        return ConcurrentStories.split(trace);
    }

    static Stories of(NormalizedTrace trace, boolean concurrent) {
        return concurrent ? concurrent(trace) : sequential(trace);
    }

    List<Story> ofKind(Story.Kind kind) {
        return stories.stream().filter(s -> s.kind() == kind).toList();
    }

    /** The waits taken out of the sequence (compared by shape). */
    List<AcceptWaits.AcceptWait> waitsBetweenAccepts() {
        return waits.stream().filter(w -> !w.first()).toList();
    }

    /** Normalized lines over all stories. */
    int lineCount() {
        return stories.stream().mapToInt(s -> s.entries().size()).sum();
    }
}
