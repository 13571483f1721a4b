package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Picks the network story out of a whole-process trace: the calls on fds born of socket,
 * accept4, epoll_create1, pipe2, eventfd2 and the somaxconn openat, from birth until close, with
 * the fd numbers replaced by role names. Everything else (JVM or Go runtime: mmap, futex, jar and
 * library files, even when they reuse a closed socket's number) is dropped.
 *
 * <p>It also places the signal cut: the first SIGTERM/SIGINT delivery (or "killed by") ends the
 * compared region, calls blocked across it become {@code <unfinished>}, later calls form the
 * "after signal" trailer.
 */
final class NetworkStory implements Consumer<TraceEvent> {

    enum Phase { COMPARED, UNFINISHED, AFTER }

    /** A kept call: its source, its args with fd numbers replaced by roles, and where it goes. */
    record StoryCall(Syscall source, String name, List<String> args, String ret, Phase phase, int key,
                     List<String> entryArgs) {
        boolean unfinished() { return phase == Phase.UNFINISHED || ret == null; }

        /** The call as strace shows it while blocked: only the arguments it printed at entry. */
        StoryCall asUnfinished() {
            return new StoryCall(source, name, entryArgs, null, Phase.UNFINISHED, source.startLine(), entryArgs);
        }
    }

    /** fd-valued argument positions per syscall (others are not fds, even when they look like 5). */
    private static final Map<String, int[]> FD_ARGS = new HashMap<>();

    static {
        for (String n : List.of("read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
                "preadv2", "pwritev2", "recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "close",
                "shutdown", "setsockopt", "getsockopt", "bind", "connect", "listen", "accept", "accept4",
                "getsockname", "getpeername", "fcntl", "fcntl64", "ioctl", "fstat", "fstatfs", "lseek", "fsync",
                "fdatasync", "ftruncate", "dup", "flock", "fadvise64", "syncfs")) {
            FD_ARGS.put(n, new int[] {0});
        }
        for (String n : PollFacts.NAMES) FD_ARGS.put(n, new int[] {0});
        FD_ARGS.put("epoll_ctl", new int[] {0, 2});
        FD_ARGS.put("splice", new int[] {0, 2});
        FD_ARGS.put("copy_file_range", new int[] {0, 2});
        FD_ARGS.put("tee", new int[] {0, 1});
        FD_ARGS.put("sendfile", new int[] {0, 1});
        FD_ARGS.put("sendfile64", new int[] {0, 1});
        FD_ARGS.put("dup2", new int[] {0, 1});
        FD_ARGS.put("dup3", new int[] {0, 1});
    }

    /** Calls whose fd argument is printed at entry and the rest at exit (for unfinished display). */
    private static final Set<String> FD_ONLY_AT_ENTRY = union(PollFacts.NAMES, Set.of("read", "readv", "pread64",
            "recvfrom", "recvmsg", "recvmmsg", "accept", "accept4", "getsockname", "getpeername"));

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    private static final Set<String> INTERRUPTED = Set.of("EINTR", "ERESTARTSYS", "ERESTARTNOINTR",
            "ERESTARTNOHAND", "ERESTART_RESTARTBLOCK");

    private static boolean isInterrupted(String errno) {
        return errno != null && INTERRUPTED.contains(errno);
    }

    private static final Set<String> INET_DOMAINS = Set.of("AF_INET", "AF_INET6", "PF_INET", "PF_INET6");

    static final String SOMAXCONN_PATH = "\"/proc/sys/net/core/somaxconn\"";
    /** Rendered for an fd argument of a kept call that is not part of the story. */
    static final String FOREIGN_FD = "fd?";

    private final FdTracker fds = new FdTracker();
    private final RuleCounts counts;
    private final List<StoryCall> compared = new ArrayList<>();
    private final List<StoryCall> after = new ArrayList<>();
    private final Map<Integer, Syscall> lastCallByPid = new HashMap<>();
    private final Map<Integer, StoryCall> lastKeptByPid = new HashMap<>();

    private int cutLine;
    private String cutWhat;
    private int dropped;

    NetworkStory(RuleCounts counts) {
        this.counts = counts;
    }

    @Override
    public void accept(TraceEvent event) {
        switch (event) {
            case Syscall s -> onSyscall(s);
            case TraceEvent.Signal sig -> {
                if (sig.signal().equals("SIGTERM") || sig.signal().equals("SIGINT")) cut(sig.pid(), sig.line(), sig.signal());
            }
            case TraceEvent.Exit exit -> {
                if (exit.killedBy() != null) cut(exit.pid(), exit.line(), "killed by " + exit.killedBy());
            }
        }
    }

    private void cut(int pid, int line, String what) {
        if (cutLine != 0) return;
        cutLine = line;
        cutWhat = what;
        // A call that the signal itself interrupted returns EINTR just before the "--- SIG" line:
        // it was blocked when the signal came, exactly like an <unfinished ...> one.
        markInterruptedAtTheCut(pid, false);
        // strace may print the delivery on another thread than the one whose wait it broke (a Go
        // process with an idle M in netpoll: its epoll_pwait returns EINTR, the handler runs on
        // another M). A poll that ended in EINTR as its thread's last call before the cut was
        // blocked there too.
        for (int other : List.copyOf(lastKeptByPid.keySet())) {
            if (other != pid) markInterruptedAtTheCut(other, true);
        }
    }

    /** {@code pid}'s last call before the cut, if it was interrupted (and, with {@code pollsOnly}, a poll), becomes unfinished. */
    private void markInterruptedAtTheCut(int pid, boolean pollsOnly) {
        StoryCall last = lastKeptByPid.get(pid);
        if (last == null || last.source() != lastCallByPid.get(pid) || last.phase() != Phase.COMPARED
                || !isInterrupted(last.source().errno()) || (pollsOnly && !PollFacts.isPoll(last.name()))) {
            return;
        }
        int i = compared.lastIndexOf(last);
        if (i >= 0) compared.set(i, last.asUnfinished());
    }

    private void onSyscall(Syscall s) {
        lastCallByPid.put(s.pid(), s);
        List<String> raw = ArgList.split(s.args());
        Mapped mapped = mapFds(s.name(), raw, s.startLine());
        List<String> args = mapped.args;
        boolean kept = mapped.touched;
        int roleHits = mapped.hits;
        // What strace printed at entry, mapped now (before this call's own close/birth changes fds).
        List<String> entryArgs = List.copyOf(entryArgs(s, mapped.args));
        String ret = s.ret();
        long r = s.retNumber();
        String name = s.name();

        // Births. A failed network birth (socket() = -1 EAFNOSUPPORT) is still part of the story.
        // Only inet sockets are: glibc's nscd probe at JVM start (AF_UNIX socket + connect) and the
        // JVM attach listener are runtime, and accept counts only on a socket of the story.
        boolean networkBirth = switch (name) {
            case "socket" -> !args.isEmpty() && INET_DOMAINS.contains(args.get(0));
            case "accept", "accept4" -> mapped.touched;
            case "epoll_create", "epoll_create1", "pipe", "pipe2", "eventfd", "eventfd2" -> true;
            case "openat" -> args.size() > 1 && args.get(1).equals(SOMAXCONN_PATH);
            case "open" -> !args.isEmpty() && args.get(0).equals(SOMAXCONN_PATH);
            default -> false;
        };
        if (networkBirth) kept = true;
        if (networkBirth && r >= 0) {
            switch (name) {
                case "socket" -> { ret = fds.birth("sock", (int) r, s.line()); roleHits++; }
                case "accept", "accept4" -> { ret = fds.birth("conn", (int) r, s.line()); roleHits++; }
                case "epoll_create", "epoll_create1" -> { ret = fds.birth("epoll", (int) r, s.line()); roleHits++; }
                case "eventfd", "eventfd2" -> { ret = fds.birth("event", (int) r, s.line()); roleHits++; }
                case "open", "openat" -> { ret = fds.birth("somaxconn", (int) r, s.line()); roleHits++; }
                case "pipe", "pipe2" -> {
                    int[] p = args.isEmpty() ? null : ArgList.intPair(args.get(0));
                    if (p != null) {
                        String[] roles = fds.pipeBirth(p[0], p[1], s.line());
                        args.set(0, "[" + roles[0] + ", " + roles[1] + "]");
                        roleHits += 2;
                    }
                }
                default -> { }
            }
        } else if (mapped.touched && r >= 0) {
            // Aliases of a story fd (dup, dup2, fcntl F_DUPFD) are story fds too.
            boolean dupFcntl = (name.equals("fcntl") || name.equals("fcntl64")) && args.size() > 1
                    && args.get(1).startsWith("F_DUPFD");
            if (name.equals("dup") || name.equals("dup2") || name.equals("dup3") || dupFcntl) {
                ret = fds.birth("dup", (int) r, s.line());
                roleHits++;
            }
        }
        // Deaths: after mapping, so "close(5)" still reads "close(sock1)".
        if (!s.unfinished()) {
            switch (name) {
                case "close" -> {
                    int fd = raw.isEmpty() ? -1 : ArgList.plainInt(raw.get(0));
                    if (fd >= 0) fds.death(fd, s.startLine());
                }
                case "close_range" -> {
                    if (raw.size() >= 2 && !(raw.size() > 2 && raw.get(2).contains("CLOEXEC"))) {
                        long lo = parseLongOr(raw.get(0), -1);
                        long hi = raw.get(1).equals("~0U") ? Long.MAX_VALUE : parseLongOr(raw.get(1), -1);
                        if (lo >= 0 && hi >= lo) fds.deathRange(lo, hi);
                    }
                }
                default -> { }
            }
        }
        if (!kept) {
            dropped++;
            counts.inc(Rule.RUNTIME_NOISE);
            return;
        }
        counts.add(Rule.FD_ROLE, roleHits);
        StoryCall call;
        if (cutLine == 0) {
            call = new StoryCall(s, name, List.copyOf(args), ret, Phase.COMPARED, s.endLine(), entryArgs);
            if (s.unfinished()) call = call.asUnfinished();
            compared.add(call);
        } else if (s.startLine() < cutLine) {
            call = new StoryCall(s, name, List.copyOf(args), ret, Phase.COMPARED, s.endLine(), entryArgs).asUnfinished();
            compared.add(call);
        } else {
            call = new StoryCall(s, name, List.copyOf(args), ret, Phase.AFTER, s.line(), entryArgs);
            after.add(call);
        }
        lastKeptByPid.put(s.pid(), call);
    }

    /**
     * The arguments strace printed at the call's entry: the head of a split call, or, for a call
     * printed whole (one interrupted by the cut signal), the fd alone for calls whose other
     * arguments are outputs.
     */
    private List<String> entryArgs(Syscall s, List<String> mappedFull) {
        if (s.headArgs() != null) return mapFds(s.name(), ArgList.split(s.headArgs()), s.startLine()).args;
        if (FD_ONLY_AT_ENTRY.contains(s.name()) && !mappedFull.isEmpty()) return List.of(mappedFull.get(0));
        return mappedFull;
    }

    private record Mapped(List<String> args, boolean touched, int hits) {}

    /**
     * Replaces live fd numbers at fd positions by role names (as seen by a call that started at
     * {@code callStart}); foreign fds of a kept call by "fd?".
     */
    private Mapped mapFds(String name, List<String> raw, int callStart) {
        List<String> args = new ArrayList<>(raw);
        int[] positions = FD_ARGS.get(name);
        if (positions == null) return new Mapped(args, false, 0);
        boolean touched = false;
        int hits = 0;
        for (int p : positions) {
            if (p >= args.size()) continue;
            int fd = ArgList.plainInt(args.get(p));
            String role = fd < 0 ? null : fds.role(fd, callStart);
            if (role != null) {
                args.set(p, role);
                touched = true;
                hits++;
            }
        }
        if (touched) {
            for (int p : positions) {
                if (p < args.size() && ArgList.plainInt(args.get(p)) >= 0) args.set(p, FOREIGN_FD);
            }
        }
        return new Mapped(args, touched, hits);
    }

    private static long parseLongOr(String s, long dflt) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** Applies the whole-trace filters and returns the result. Call once, after the last event. */
    Result finish() {
        compared.sort(Comparator.comparingInt(StoryCall::key));
        after.sort(Comparator.comparingInt(StoryCall::key));
        dropPollOnlyThreads();
        dropInterruptedRetries(compared);
        dropInterruptedRetries(after);
        moveIdlePollersToTheCut();
        counts.add(Rule.SIGNAL_CUT, after.size());
        counts.add(Rule.UNFINISHED, compared.stream().filter(c -> c.phase() == Phase.UNFINISHED).count());
        return new Result(List.copyOf(compared), List.copyOf(after), cutLine, cutWhat, dropped);
    }

    record Result(List<StoryCall> compared, List<StoryCall> after, int cutLine, String cutWhat, int dropped) {}

    /**
     * A poll still blocked at the cut belongs at the cut: in a program with several threads (Go's
     * Ms; ffm-echo's goroutine mode) an idle thread may have entered netpoll before or after another
     * thread's last calls, and that order is scheduling. The moved polls keep their own order.
     */
    private void moveIdlePollersToTheCut() {
        List<StoryCall> idle = compared.stream()
                .filter(c -> PollFacts.isPoll(c.name()) && c.phase() == Phase.UNFINISHED).toList();
        int last = compared.size() - idle.size();
        boolean alreadyLast = compared.subList(last, compared.size()).equals(idle);
        if (idle.isEmpty() || alreadyLast) return;
        compared.removeAll(idle);
        compared.addAll(idle);
        counts.add(Rule.IDLE_POLLER_AT_CUT, idle.size());
    }

    private void dropPollOnlyThreads() {
        List<StoryCall> all = new ArrayList<>(compared);
        all.addAll(after);
        Set<Integer> pids = new HashSet<>();
        Set<Integer> notPollOnly = new HashSet<>();
        for (StoryCall c : all) {
            pids.add(c.source().pid());
            boolean nonBlockingPoll = PollFacts.isCompletedNonBlocking(c.name(), c.args(), c.unfinished());
            if (!nonBlockingPoll) notPollOnly.add(c.source().pid());
        }
        if (pids.size() < 2) return;
        pids.removeAll(notPollOnly);
        if (pids.isEmpty()) return;
        int before = compared.size() + after.size();
        compared.removeIf(c -> pids.contains(c.source().pid()));
        after.removeIf(c -> pids.contains(c.source().pid()));
        counts.add(Rule.POLL_ONLY_THREAD, before - compared.size() - after.size());
    }

    private void dropInterruptedRetries(List<StoryCall> calls) {
        for (int i = 0; i < calls.size(); i++) {
            StoryCall c = calls.get(i);
            if (c.unfinished() || !isInterrupted(c.source().errno())) continue;
            for (int j = i + 1; j < calls.size(); j++) {
                StoryCall next = calls.get(j);
                if (next.source().pid() != c.source().pid()) continue;
                if (next.name().equals(c.name()) && !next.args().isEmpty() && !c.args().isEmpty()
                        && next.args().get(0).equals(c.args().get(0))) {
                    calls.remove(i);
                    counts.inc(Rule.INTERRUPTED_RETRY);
                    i--;
                }
                break;
            }
        }
    }
}
