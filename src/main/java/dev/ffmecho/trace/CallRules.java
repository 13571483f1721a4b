package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The implementations of the per-call {@link Rule}s (stage CALL). Each method rewrites one call
 * draft in place and returns how many times its rule fired, so --explain can report it.
 */
final class CallRules {
    private CallRules() {}

    private static final Set<String> DATA_CALLS = Set.of("read", "write", "pread64", "pwrite64", "recvfrom",
            "sendto", "readv", "writev", "preadv", "pwritev", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg");
    private static final Pattern POINTER = Pattern.compile("\\b0x[0-9a-fA-F]{5,}\\b");
    private static final Pattern SOCKLEN_IN_OUT = Pattern.compile("^\\[(\\d+) => (\\d+)\\]$");
    private static final Pattern HTONS = Pattern.compile("^(sin6?_port)=htons\\((\\d+)\\)$");
    private static final Pattern HTONL = Pattern.compile("^sin6_flowinfo=htonl\\((.*)\\)$");
    private static final Pattern SOMAXCONN_VALUE = Pattern.compile("^\"(\\d+)\\\\n\"$");
    /** Linux keeps the backlog in a u16; Go 1.6 maxListenerBacklog caps at 1<<16-1. */
    private static final long MAX_BACKLOG = 65535;

    static final String ELLIPSIS = "…";
    static final String PAYLOAD = "\"" + ELLIPSIS + "\"";

    static int errnoText(CallDraft c) {
        if (c.errnoText == null) return 0;
        c.errnoText = null;
        return 1;
    }

    static int pfToAf(CallDraft c) {
        if (!(c.name.equals("socket") || c.name.equals("socketpair"))) return 0;
        String d = c.arg(0);
        if (d == null || !d.startsWith("PF_")) return 0;
        c.args.set(0, "AF_" + d.substring(3));
        return 1;
    }

    static int sockaddrFieldOrder(CallDraft c) {
        return eachSockaddr(c, Sockaddr::canonicalizeOrder);
    }

    static int flowinfoHtonl(CallDraft c) {
        return eachSockaddr(c, sa -> sa.edit("sin6_flowinfo", t -> {
            Matcher m = HTONL.matcher(t);
            return m.matches() ? "sin6_flowinfo=" + m.group(1) : t;
        }));
    }

    static int port(CallDraft c) {
        return eachSockaddr(c, sa -> {
            boolean v6 = sa.edit("sin6_port", CallRules::maskPort);
            boolean v4 = sa.edit("sin_port", CallRules::maskPort);
            return v6 || v4;
        });
    }

    private static String maskPort(String t) {
        Matcher m = HTONS.matcher(t);
        return m.matches() && !m.group(2).equals("0") ? m.group(1) + "=htons(<port>)" : t;
    }

    /** accept4's peer and an accepted conn's own/peer address depend on where the client ran. */
    static int peerAddr(CallDraft c) {
        boolean peer = switch (c.name) {
            case "accept", "accept4", "getpeername" -> true;
            case "getsockname" -> c.fdRole().startsWith("conn");
            default -> false;
        };
        if (!peer) return 0;
        Sockaddr sa = Sockaddr.parse(c.arg(1));
        if (sa == null || !sa.maskAddress()) return 0;
        c.args.set(1, sa.render());
        return 1;
    }

    static int socklenInOut(CallDraft c) {
        int hits = 0;
        for (int i = 0; i < c.args.size(); i++) {
            Matcher m = SOCKLEN_IN_OUT.matcher(c.args.get(i));
            if (m.matches()) {
                c.args.set(i, "[" + m.group(2) + "]");
                hits++;
            }
        }
        return hits;
    }

    /**
     * The somaxconn file's value, the length read, the second read's size (what is left of the
     * first buffer) and the listen backlog derived from the value: all follow from one machine
     * setting, so they are compared as tokens, and only when they are consistent with it.
     */
    static int somaxconn(CallDraft c, Normalizer.State st) {
        int hits = 0;
        if ((c.name.equals("read") || c.name.equals("pread64")) && c.fdRole().startsWith("somaxconn") && !c.unfinished) {
            if (st.somaxconn == null) {
                Matcher m = SOMAXCONN_VALUE.matcher(String.valueOf(c.arg(1)));
                int size = ArgList.plainInt(c.arg(2));
                long got = parseLong(c.ret);
                if (m.matches() && size > 0 && got == m.group(1).length() + 1) {
                    st.somaxconn = m.group(1);
                    st.firstReadSize = size;
                    st.firstReadLength = got;
                    c.args.set(1, "\"<somaxconn>\\n\"");
                    c.ret = "<somaxconn-len>";
                    hits += 2;
                }
            } else if (!st.secondReadSeen) {
                st.secondReadSeen = true;
                int size = ArgList.plainInt(c.arg(2));
                if (size >= 0 && size == st.firstReadSize - st.firstReadLength) {
                    c.args.set(2, "<" + st.firstReadSize + "-somaxconn-len>");
                    hits++;
                }
            }
        }
        if (c.name.equals("listen") && st.somaxconn != null) {
            long backlog = parseLong(c.arg(1));
            long value = parseLong(st.somaxconn);
            if (backlog >= 0 && value >= 0 && backlog == Math.min(value, MAX_BACKLOG)) {
                c.args.set(1, "<somaxconn>");
                hits++;
            }
        }
        return hits;
    }

    static int payload(CallDraft c) {
        if (!DATA_CALLS.contains(c.name) || c.fdRole().startsWith("somaxconn") || c.arg(1) == null) return 0;
        // A hand-written scan, not a regex: with strace -s 65536 a payload is 256 KiB of escapes,
        // which a backtracking (?:..|..)+ pattern would walk recursively into a stack overflow.
        String a = c.arg(1);
        StringBuilder out = new StringBuilder(Math.min(a.length(), 256));
        int hits = 0;
        int i = 0;
        while (i < a.length()) {
            char ch = a.charAt(i);
            if (ch != '"') {
                out.append(ch);
                i++;
                continue;
            }
            int close = ArgList.skipString(a, i);
            String literal = a.substring(i, close + 1);
            i = close + 1;
            if (a.startsWith("...", i)) i += 3;  // strace marks a string cut at -s with a trailing ...
            if (literal.length() <= 2 || literal.equals(PAYLOAD)) {
                out.append(literal);             // "" (EOF / nothing) stays: it is not data
            } else {
                out.append(PAYLOAD);
                hits++;
            }
        }
        c.args.set(1, out.toString());
        return hits;
    }

    static int pointer(CallDraft c) {
        int[] hits = {0};
        for (int i = 0; i < c.args.size(); i++) {
            c.args.set(i, ArgList.replaceOutsideStrings(c.args.get(i), POINTER, m -> ELLIPSIS, hits));
        }
        return hits[0];
    }

    static int epollWaitList(CallDraft c) {
        if (!PollFacts.isPoll(c.name)) return 0;
        String a = c.arg(1);
        if (a == null || !a.startsWith("{")) return 0;
        if (a.equals("{}")) {
            c.args.set(1, "[]");
            return 1;
        }
        if (a.startsWith("{{") && a.endsWith("}}")) {
            c.args.set(1, "[" + a.substring(1, a.length() - 1) + "]");
            return 1;
        }
        return 0;
    }

    static int epollEventForm(CallDraft c) {
        return eachEpollEvent(c, parts -> {
            List<String> out = new ArrayList<>(parts);
            if (out.get(0).startsWith("events=")) out.set(0, out.get(0).substring("events=".length()));
            if (out.get(1).startsWith("data=")) out.set(1, out.get(1).substring("data=".length()));
            return out;
        });
    }

    static int epollData(CallDraft c) {
        return eachEpollEvent(c, parts -> parts.get(1).equals(ELLIPSIS) ? parts : List.of(parts.get(0), ELLIPSIS));
    }

    /** EPOLL_CTL_DEL ignores its event (Linux >= 2.6.9): only NULL versus a pointer is behaviour. */
    static int epollCtlDelEvent(CallDraft c) {
        if (!c.name.equals("epoll_ctl") || !"EPOLL_CTL_DEL".equals(c.arg(1)) || c.args.size() < 4) return 0;
        String ev = c.arg(3);
        if (ev.equals("NULL") || ev.equals(ELLIPSIS)) return 0;
        c.args.set(3, ELLIPSIS);
        return 1;
    }

    /** Go's epoll_pwait leaves the 6th register stale; the kernel ignores it when sigmask is NULL. */
    static int epollPwaitSigsetsize(CallDraft c) {
        if (!PollFacts.takesSigmask(c.name)) return 0;
        if (!"NULL".equals(c.arg(4)) || c.args.size() < 6 || c.arg(5).equals(ELLIPSIS)) return 0;
        c.args.set(5, ELLIPSIS);
        return 1;
    }

    // --- helpers ---------------------------------------------------------------------------------

    private interface SockaddrEdit {
        boolean apply(Sockaddr sa);
    }

    private static int eachSockaddr(CallDraft c, SockaddrEdit edit) {
        int hits = 0;
        for (int i = 0; i < c.args.size(); i++) {
            Sockaddr sa = Sockaddr.parse(c.args.get(i));
            if (sa != null && edit.apply(sa)) {
                c.args.set(i, sa.render());
                hits++;
            }
        }
        return hits;
    }

    /**
     * Applies {@code f} to the two parts (flags, data) of every epoll_event in the call: the event
     * argument of epoll_ctl, each element of an epoll_wait result list. Counts structs changed.
     */
    private static int eachEpollEvent(CallDraft c, UnaryOperator<List<String>> f) {
        int idx;
        boolean list;
        if (c.name.equals("epoll_ctl")) {
            idx = 3;
            list = false;
        } else if (PollFacts.isPoll(c.name)) {
            idx = 1;
            list = true;
        } else {
            return 0;
        }
        String a = c.arg(idx);
        if (a == null) return 0;
        List<String> structs;
        if (list) {
            if (!a.startsWith("[") || !a.endsWith("]")) return 0;
            structs = ArgList.split(a.substring(1, a.length() - 1));
        } else {
            structs = List.of(a);
        }
        int hits = 0;
        List<String> out = new ArrayList<>();
        for (String s : structs) {
            String now = s;
            if (s.startsWith("{") && s.endsWith("}")) {
                List<String> parts = ArgList.split(s.substring(1, s.length() - 1));
                if (parts.size() == 2) {
                    List<String> edited = f.apply(parts);
                    if (!edited.equals(parts)) {
                        now = "{" + ArgList.join(edited) + "}";
                        hits++;
                    }
                }
            }
            out.add(now);
        }
        c.args.set(idx, list ? "[" + ArgList.join(out) + "]" : out.get(0));
        return hits;
    }

    private static long parseLong(String s) {
        if (s == null) return -1;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
