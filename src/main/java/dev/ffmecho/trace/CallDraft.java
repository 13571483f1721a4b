package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;

/** The mutable working copy of one call while the {@link Rule}s rewrite it. */
final class CallDraft {
    final String name;
    final List<String> args;
    String ret;
    String errno;
    String errnoText;
    String extra;
    final boolean unfinished;
    final Syscall source;

    CallDraft(NetworkStory.StoryCall c) {
        this.name = c.name();
        this.args = new ArrayList<>(c.args());
        this.unfinished = c.unfinished();
        this.ret = unfinished ? null : c.ret();
        this.errno = unfinished ? null : c.source().errno();
        this.errnoText = unfinished ? null : c.source().errnoText();
        this.extra = unfinished ? null : c.source().extra();
        this.source = c.source();
    }

    String arg(int i) { return i < args.size() ? args.get(i) : null; }

    /** Role name of the first argument (fd-first calls), or "". */
    String fdRole() {
        String a = arg(0);
        return a == null ? "" : a;
    }

    NormalizedCall build() {
        return new NormalizedCall(name, args, ret, errno, extra, unfinished, source);
    }
}
