package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --concurrent}: cuts a normalized trace into stories that are each sequential in both
 * programs, so that how the threads interleave them is not compared.
 *
 * <ul>
 *   <li>The listener's story: every call before the first accept (the setup, made by one thread:
 *       Go's main goroutine before {@code ln.Accept()}, ffm-echo's main thread), the poller's and
 *       the wake-up fd's creation included, in their order; then the accept loop's calls on the
 *       listener. Accept waits between accepts are folded ({@link AcceptWaits}).</li>
 *   <li>One story per connection: the accept4 that made it, then every call on its fd up to its
 *       close — keep-alive/NODELAY setsockopts, its transfer (folded as sequentially),
 *       EPOLL_CTL_DEL, close. Go's concurrent server runs each in a goroutine of its own
 *       ({@code go handle(conn)} in src/main/resources/dev/ffmecho/go/concurrent/main.go), so
 *       within a connection the order is the program's.</li>
 *   <li>The process story: later calls that belong to no listener or connection — the netpoll
 *       polls (folded into one line), the splice pipe pool, wake-ups, a poll blocked at the cut.</li>
 * </ul>
 */
final class ConcurrentStories {
    private ConcurrentStories() {}

    private static final Pattern CONN = Pattern.compile("\\bconn\\d+\\b");

    static Stories split(NormalizedTrace trace) {
        RuleCounts counts = trace.counts();
        Parts parts = partition(trace.compared());
        List<Entry> listener = renumber(parts.listener, counts);
        List<List<Entry>> conns = new ArrayList<>();
        for (List<Entry> conn : parts.conns.values()) conns.add(renumber(conn, counts));
        SplicePipes pipes = SplicePipes.of(conns, parts.process);
        List<Entry> process = foldPolls(pipes.pool(parts.process, counts), counts);
        AcceptWaits.Folded accepts = AcceptWaits.fold(AcceptWaits.dropStaleRetries(listener, counts), counts);

        List<Story> stories = new ArrayList<>();
        stories.add(new Story(Story.Kind.LISTENER, null, accepts.entries()));
        List<String> roles = new ArrayList<>(parts.conns.keySet());
        for (int i = 0; i < conns.size(); i++) {
            stories.add(new Story(Story.Kind.CONNECTION, roles.get(i), pipes.rename(conns.get(i))));
        }
        stories.add(new Story(Story.Kind.PROCESS, null, process));
        counts.add(Rule.CONCURRENT_STORIES, stories.size());
        return new Stories(trace, true, stories, accepts.waits());
    }

    /** The compared entries sorted into stories, each in trace order. */
    private record Parts(List<Entry> listener, Map<String, List<Entry>> conns, List<Entry> process) {}

    private static Parts partition(List<Entry> entries) {
        List<Entry> listener = new ArrayList<>();
        Map<String, List<Entry>> conns = new LinkedHashMap<>();
        List<Entry> process = new ArrayList<>();
        boolean setup = true;
        for (Entry e : entries) {
            NormalizedCall c = e.call();
            if (AcceptWaits.isAcceptCall(c)) {
                setup = false;
                listener.add(e);
                if (AcceptWaits.isAcceptSuccess(c) && isConn(c.ret())) conns.put(c.ret(), new ArrayList<>(List.of(e)));
                continue;
            }
            String owner = owner(e);
            if (isConn(owner)) {
                conns.computeIfAbsent(owner, k -> new ArrayList<>()).add(e);
            } else if (PollFacts.isPoll(c)) {
                process.add(e);
            } else if (setup || isListenerRole(owner)) {
                listener.add(e);
            } else {
                process.add(e);
            }
        }
        return new Parts(listener, conns, process);
    }

    /**
     * The fd a line is about: a transfer's conn; the target of epoll_ctl; the fd a call creates
     * (socket, epoll_create1, eventfd2, the somaxconn openat, pipe2's read end); for splice the
     * conn side; otherwise the first argument.
     */
    static String owner(Entry e) {
        String conn = TransferFolder.connOf(e);
        if (conn != null) return conn;
        NormalizedCall c = e.call();
        if (c == null) return null;
        return switch (c.name()) {
            case "epoll_ctl" -> c.arg(2);
            case "pipe", "pipe2" -> firstOfPair(c.arg(0));
            case "splice" -> isConn(c.arg(0)) ? c.arg(0) : isConn(c.arg(2)) ? c.arg(2) : c.arg(0);
            case "socket", "epoll_create", "epoll_create1", "eventfd", "eventfd2", "open", "openat" -> c.ret();
            default -> c.arg(0);
        };
    }

    private static String firstOfPair(String pair) {
        if (pair == null || !pair.startsWith("[")) return pair;
        List<String> roles = ArgList.split(pair.substring(1, pair.length() - 1));
        return roles.isEmpty() ? null : roles.get(0);
    }

    private static boolean isConn(String role) {
        return role != null && role.matches("conn\\d+");
    }

    private static boolean isListenerRole(String role) {
        return role != null && (role.matches("sock\\d+") || role.equals("somaxconn"));
    }

    /** connN → conn: the accept order of clients that connect at once is timing. */
    private static List<Entry> renumber(List<Entry> entries, RuleCounts counts) {
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            Matcher m = CONN.matcher(e.text());
            String text = m.replaceAll("conn");
            if (!text.equals(e.text())) counts.inc(Rule.CONN_NUMBERING);
            out.add(e.withText(text));
        }
        return out;
    }

    /**
     * The completed polls folded into one line at the head of the process story, naming the poll
     * forms used. A poll blocked at the cut stays (NetworkStory put it last), but once per form:
     * how many threads were inside a poll at the instant of the signal is scheduling too. Go 1.19
     * lets one M block in netpoll while another makes a non-blocking {@code netpoll(0)}
     * (runtime/proc.go:findrunnable); a signal that kills the process between the latter's entry
     * and its return leaves both blocked at the cut.
     */
    private static List<Entry> foldPolls(List<Entry> process, RuleCounts counts) {
        Set<String> forms = new TreeSet<>();
        List<Syscall> sources = new ArrayList<>();
        Set<String> blockedAtCut = new HashSet<>();
        List<Entry> rest = new ArrayList<>();
        int folded = 0;
        for (Entry e : process) {
            if (!PollFacts.isPoll(e.call())) {
                rest.add(e);
            } else if (!e.call().unfinished()) {
                forms.add(PollFacts.netpollForm(e.call()));
                sources.addAll(e.sources());
                folded++;
            } else if (blockedAtCut.add(e.text())) {
                rest.add(e);
            } else {
                folded++;
            }
        }
        if (folded == 0) return rest;
        counts.add(Rule.CONCURRENT_POLLS, folded);
        List<Entry> out = new ArrayList<>();
        if (!forms.isEmpty()) {
            out.add(new Entry("netpoll (concurrent, polls folded): " + String.join(" and ", forms), sources, Entry.Kind.FOLDED));
        }
        out.addAll(rest);
        return out;
    }
}
