package dev.ffmecho.trace;

import java.util.HashMap;
import java.util.Map;

/**
 * Which fd numbers currently belong to the network story, and under what role name.
 *
 * <p>An fd joins at birth (socket, accept4, epoll_create1, pipe2, eventfd2, the somaxconn openat)
 * and leaves at close. The number is then free for the runtime to reuse for a jar or a library,
 * and calls on it are no longer ours. Role names count births per kind ({@code sock1, sock2,
 * conn1, epoll1, pipe1r/pipe1w, somaxconn}) so two traces whose runtimes had different files open
 * still name the same sockets alike.
 *
 * <p>Births and deaths are applied when the call completes (the parser hands calls out in
 * completion order), but close(2) frees the number as soon as it starts ("the Linux kernel always
 * releases the file descriptor early in the close operation, freeing it for reuse", close(2),
 * NOTES). So one thread's pipe2 or accept4 can return a number whose close on another thread has
 * not returned yet. The holder it displaced is remembered, and a call that
 * started before the new holder was born (that close) is about the displaced one.
 */
final class FdTracker {

    /** A live fd's role and the source line at which the call that made it completed. */
    private record Holder(String role, int bornAt) {}

    private final Map<Integer, Holder> live = new HashMap<>();
    /** Holders whose number was reused while their close was still in flight. */
    private final Map<Integer, Holder> displaced = new HashMap<>();
    private final Map<String, Integer> births = new HashMap<>();

    /**
     * Role of a live fd as seen by a call that started at {@code callStart} (the displaced holder's
     * for a call older than the current holder), or null.
     */
    String role(int fd, int callStart) {
        Holder h = live.get(fd);
        if (h != null && h.bornAt > callStart && displaced.containsKey(fd)) return displaced.get(fd).role;
        return h == null ? null : h.role;
    }

    /** Registers a birth of {@code kind} (sock, conn, epoll, event, dup, somaxconn) at source line {@code line}; returns its role. */
    String birth(String kind, int fd, int line) {
        int n = births.merge(kind, 1, Integer::sum);
        String role = kind.equals("somaxconn") && n == 1 ? "somaxconn" : kind + n;
        put(fd, role, line);
        return role;
    }

    /** Registers a pipe2/pipe birth; returns {read role, write role}. */
    String[] pipeBirth(int readFd, int writeFd, int line) {
        int n = births.merge("pipe", 1, Integer::sum);
        String r = "pipe" + n + "r";
        String w = "pipe" + n + "w";
        put(readFd, r, line);
        put(writeFd, w, line);
        return new String[] {r, w};
    }

    private void put(int fd, String role, int line) {
        Holder old = live.put(fd, new Holder(role, line));
        if (old != null) displaced.put(fd, old);
    }

    /** A close that started at {@code callStart}: of the displaced holder when it is older than the current one. */
    void death(int fd, int callStart) {
        Holder h = live.get(fd);
        if (h != null && h.bornAt > callStart && displaced.remove(fd) != null) return;
        live.remove(fd);
        displaced.remove(fd);
    }

    /** close_range(lo, hi): every live fd in the range dies. */
    void deathRange(long lo, long hi) {
        live.keySet().removeIf(fd -> fd >= lo && fd <= hi);
        displaced.keySet().removeIf(fd -> fd >= lo && fd <= hi);
    }
}
