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
 */
final class FdTracker {
    private final Map<Integer, String> live = new HashMap<>();
    private final Map<String, Integer> births = new HashMap<>();

    /** Role of a live fd, or null. */
    String role(int fd) { return live.get(fd); }

    boolean isLive(int fd) { return live.containsKey(fd); }

    /** Registers a birth of {@code kind} (sock, conn, epoll, event, dup, somaxconn) and returns its role. */
    String birth(String kind, int fd) {
        int n = births.merge(kind, 1, Integer::sum);
        String role = kind.equals("somaxconn") && n == 1 ? "somaxconn" : kind + n;
        live.put(fd, role);
        return role;
    }

    /** Registers a pipe2/pipe birth; returns {read role, write role}. */
    String[] pipeBirth(int readFd, int writeFd) {
        int n = births.merge("pipe", 1, Integer::sum);
        String r = "pipe" + n + "r";
        String w = "pipe" + n + "w";
        live.put(readFd, r);
        live.put(writeFd, w);
        return new String[] {r, w};
    }

    void death(int fd) { live.remove(fd); }

    /** close_range(lo, hi): every live fd in the range dies. */
    void deathRange(long lo, long hi) {
        live.keySet().removeIf(fd -> fd >= lo && fd <= hi);
    }
}
