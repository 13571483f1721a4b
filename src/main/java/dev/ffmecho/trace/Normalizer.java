package dev.ffmecho.trace;

/**
 * Applies every per-call {@link Rule} (stage CALL), in declaration order, to each kept call.
 * One instance per trace: the somaxconn rule carries what the file said to the later listen.
 */
final class Normalizer {

    /** What earlier calls of this trace established for later ones. */
    static final class State {
        String somaxconn;
        int firstReadSize;
        long firstReadLength;
        boolean secondReadSeen;
    }

    private final State state = new State();
    private final RuleCounts counts;

    Normalizer(RuleCounts counts) {
        this.counts = counts;
    }

    NormalizedCall normalize(NetworkStory.StoryCall call) {
        CallDraft draft = new CallDraft(call);
        for (Rule rule : Rule.values()) {
            if (rule.stage() == Rule.Stage.CALL) counts.add(rule, rule.apply(draft, state));
        }
        return draft.build();
    }
}
