package dev.ffmecho.trace;

import java.util.List;

/**
 * One part of a trace that is compared on its own, in its own order: the whole trace (sequential
 * comparison), or with --concurrent the listener's, one connection's, or the process's story.
 *
 * @param role the connection's role in its file ({@code conn3}) for a CONNECTION story, else null
 */
record Story(Kind kind, String role, List<Entry> entries) {

    enum Kind { TRACE, LISTENER, CONNECTION, PROCESS }

    Story {
        entries = List.copyOf(entries);
    }

    /** The texts the diff compares. */
    List<String> lines() {
        return entries.stream().map(Entry::text).toList();
    }

    /** How output names the story: {@code listener}, {@code process}, or the connection's role. */
    String label() {
        return switch (kind) {
            case TRACE -> "trace";
            case LISTENER -> "listener";
            case CONNECTION -> role;
            case PROCESS -> "process";
        };
    }

    /** A connection with where it begins in its file: {@code conn3 (accept4 at line 598-601)}. */
    String whereInFile() {
        if (kind != Kind.CONNECTION || entries.isEmpty()) return label();
        return role + " (accepted at line " + entries.get(0).lineRef() + ")";
    }
}
