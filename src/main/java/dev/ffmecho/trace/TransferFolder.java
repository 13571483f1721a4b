package dev.ffmecho.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Folds each connection's data transfer into its shape.
 *
 * <p>How many read/write rounds and EAGAIN waits echoing some bytes takes depends on timing (how
 * the client's bytes arrive, whether the socket buffer is full), so two honest runs differ there.
 * A transfer on connN runs from its first read/write to its EOF read ({@code = 0}) or error, and
 * is rendered as three stable lines: the call forms (name, buffer size; the write size is always
 * "what the read returned", shown as n), whether every write round wrote back exactly what the
 * read before it returned (continuing partial writes), and the byte totals. The terminating call
 * stays as a line of its own.
 *
 * <p>Inside a transfer, EAGAIN + {@code epoll_wait(epollN, …, 128, 0|-1)}* + a retry of the same
 * call is a well-formed wait and is folded away, and so are such epoll_waits between two data
 * calls. Anything else stays verbatim where it was, so it shows in the diff: an EAGAIN that is
 * not retried (and its waits), an epoll_wait with another maxevents or timeout, calls on other fds.
 * A call on the conn that is not a read/write (close, epoll_ctl DEL, shutdown) ends the transfer.
 * The accept phase is never folded: it is not on a conn.
 */
final class TransferFolder {

    /** How a call moves a conn's bytes: which conn, which direction, where buffer and size are. */
    record DataCall(String conn, boolean read, int bufferArg, int sizeArg) {}

    /** How every summary line of a transfer starts: {@code transfer conn3: }. */
    private static final String PREFIX = "transfer ";

    private final RuleCounts counts;

    TransferFolder(RuleCounts counts) {
        this.counts = counts;
    }

    /** The conn whose transfer a summary line describes, or null for any other entry. */
    static String connOf(Entry e) {
        if (e.kind() != Entry.Kind.TRANSFER || !e.text().startsWith(PREFIX)) return null;
        int colon = e.text().indexOf(':', PREFIX.length());
        return colon < 0 ? null : e.text().substring(PREFIX.length(), colon);
    }

    static DataCall classify(NormalizedCall c) {
        String a0 = c.arg(0);
        return switch (c.name()) {
            case "read", "pread64", "recvfrom", "readv", "preadv", "recvmsg" ->
                    isConn(a0) ? new DataCall(a0, true, 1, c.name().equals("recvmsg") ? -1 : 2) : null;
            case "write", "pwrite64", "sendto", "writev", "pwritev", "sendmsg" ->
                    isConn(a0) ? new DataCall(a0, false, 1, c.name().equals("sendmsg") ? -1 : 2) : null;
            case "splice" -> isConn(a0) ? new DataCall(a0, true, -1, 4)
                    : isConn(c.arg(2)) ? new DataCall(c.arg(2), false, -1, 4) : null;
            case "sendfile", "sendfile64" -> isConn(a0) ? new DataCall(a0, false, -1, 3) : null;
            default -> null;
        };
    }

    private static boolean isConn(String role) {
        return role != null && (role.matches("conn\\d+") || role.matches("sock\\d+"));
    }

    /** The call with its buffer hidden (for comparing an EAGAIN with its retry). */
    static String retryKey(NormalizedCall c, DataCall d) {
        List<String> a = new ArrayList<>(c.args());
        if (d.bufferArg >= 0 && d.bufferArg < a.size()) a.set(d.bufferArg, "…");
        return c.name() + "(" + ArgList.join(a) + ")";
    }

    /** The call's form in a summary: buffer as "…", and for writes the size as n. */
    static String form(NormalizedCall c, DataCall d) {
        List<String> a = new ArrayList<>(c.args());
        if (d.bufferArg >= 0 && d.bufferArg < a.size()) a.set(d.bufferArg, CallRules.PAYLOAD);
        if (!d.read && d.sizeArg >= 0 && d.sizeArg < a.size()) a.set(d.sizeArg, "n");
        return c.name() + "(" + ArgList.join(a) + ")";
    }

    List<Entry> fold(List<NormalizedCall> calls) {
        int n = calls.size();
        boolean[] consumed = new boolean[n];
        boolean[] handled = new boolean[n];
        Map<Integer, List<Entry>> insertBefore = new HashMap<>();
        for (int i = 0; i < n; i++) {
            if (handled[i] || consumed[i]) continue;
            DataCall d = classify(calls.get(i));
            if (d == null) continue;
            Span span = new Span(d.conn);
            span.walk(calls, i, consumed, handled);
            if (span.sources.isEmpty()) continue;  // nothing folded (a lone unretried EAGAIN): stays as is
            insertBefore.put(i, span.summary());
            counts.inc(Rule.TRANSFER_FOLD);
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Entry> ins = insertBefore.get(i);
            if (ins != null) out.addAll(ins);
            if (!consumed[i]) {
                NormalizedCall c = calls.get(i);
                out.add(Entry.of(c));
            }
        }
        return out;
    }

    /** One transfer being walked. */
    private final class Span {
        final String conn;
        final Set<String> readForms = new LinkedHashSet<>();
        final Set<String> writeForms = new LinkedHashSet<>();
        final List<Syscall> sources = new ArrayList<>();
        long bytesIn;
        long bytesOut;
        /** Bytes read and not yet written back. */
        long pending;
        String violation;

        Span(String conn) {
            this.conn = conn;
        }

        void walk(List<NormalizedCall> calls, int start, boolean[] consumed, boolean[] handled) {
            int eagain = -1;                          // index of an EAGAIN awaiting its retry
            DataCall eagainData = null;
            List<Integer> waits = new ArrayList<>();  // well-formed polls since the last data call
            for (int j = start; j < calls.size(); j++) {
                if (handled[j] || consumed[j]) continue;
                NormalizedCall c = calls.get(j);
                DataCall d = classify(c);
                if (d != null && d.conn.equals(conn)) {
                    if (eagain >= 0) {
                        if (retryKey(calls.get(eagain), eagainData).equals(retryKey(c, d))) {
                            consume(calls, eagain, consumed);
                            for (int w : waits) consume(calls, w, consumed);
                            counts.inc(Rule.EAGAIN_WAIT_FOLD);
                        }
                        // else: not retried; the EAGAIN and its waits stay where they are.
                        eagain = -1;
                    } else {
                        for (int w : waits) consume(calls, w, consumed);
                        counts.add(Rule.TRANSFER_POLL_FOLD, waits.size());
                    }
                    waits.clear();
                    handled[j] = true;
                    if (c.unfinished()) break;
                    if ("EAGAIN".equals(c.errno())) {
                        eagain = j;
                        eagainData = d;
                        continue;
                    }
                    if (c.errno() != null || (d.read && c.retNumber() == 0)) break;  // terminator: stays
                    record(c, d);
                    consume(calls, j, consumed);
                    continue;
                }
                if (PollFacts.isPoll(c)) {
                    handled[j] = true;
                    if (PollFacts.isWellFormed(c)) waits.add(j);
                    continue;
                }
                if (c.args().contains(conn)) break;  // close, epoll_ctl DEL, shutdown...: transfer over
                // a call on another fd: left in place
            }
            if (pending > 0 && violation == null) {
                violation = pending + " bytes read were never written back";
            }
        }

        private void consume(List<NormalizedCall> calls, int i, boolean[] consumed) {
            consumed[i] = true;
            sources.add(calls.get(i).source());
        }

        private void record(NormalizedCall c, DataCall d) {
            long got = Math.max(0, c.retNumber());
            String form = form(c, d);
            if (d.read) {
                readForms.add(form);
                bytesIn += got;
                if (pending > 0 && violation == null) {
                    violation = "a read came before the previous " + pending + " bytes were written back";
                }
                pending += got;
            } else {
                writeForms.add(form);
                bytesOut += got;
                long size = d.sizeArg >= 0 ? parse(c.arg(d.sizeArg)) : got;
                if (violation == null) {
                    if (pending == 0) {
                        violation = "a write of " + size + " bytes with no read data pending";
                    } else if (size != pending) {
                        violation = "a write of " + size + " bytes when " + pending + " read bytes were pending";
                    }
                }
                pending = Math.max(0, pending - got);
            }
        }

        List<Entry> summary() {
            sources.sort((a, b) -> Integer.compare(a.startLine(), b.startLine()));
            String reads = readForms.isEmpty() ? "(no read)" : String.join(" | ", readForms);
            String writes = writeForms.isEmpty() ? "(no write)" : String.join(" | ", writeForms);
            String prefix = PREFIX + conn + ": ";
            String echo = violation == null
                    ? "every read written back in full, partial writes continued"
                    : "NOT an echo: " + violation;
            return List.of(
                    new Entry(prefix + reads + " → " + writes, sources, Entry.Kind.TRANSFER),
                    new Entry(prefix + echo, sources, Entry.Kind.TRANSFER),
                    new Entry(prefix + "bytes in=" + bytesIn + " out=" + bytesOut, sources, Entry.Kind.TRANSFER));
        }
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(Objects.requireNonNullElse(s, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
