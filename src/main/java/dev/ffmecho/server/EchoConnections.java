package dev.ffmecho.server;

import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The connections one event-loop thread owns, and the per-message path of {@code --mode eventloop}:
 * read what a connection sent into the loop's buffer, write it straight back.
 *
 * <p>On a partial write only the unsent bytes are kept (in a buffer allocated for that connection —
 * the one allocation of the data path, and only under backpressure) and the connection is not read
 * again until they are flushed: never unbounded buffering. Per-connection state is three entries in
 * arrays indexed by fd (6 bytes with compressed references), so an idle connection costs the
 * kernel's socket and little else here, and a message costs no allocation at all.
 *
 * <p>Confined to its loop's thread, like the arena that holds its read buffer.
 */
public final class EchoConnections {
    /** One read per wakeup takes at most this much: 64 KiB, a loopback TCP segment's worth. */
    public static final int READ_BUFFER = 64 * 1024;
    /**
     * Edge-triggered, a connection is read until EAGAIN — but at most this many times per turn, so a
     * client that keeps its socket full cannot starve the others (Netty's maxMessagesPerRead is 16
     * too). A connection cut short is deferred: served again after the next non-blocking poll.
     */
    static final int MAX_READS_PER_TURN = 16;

    private final int epfd;
    private final Trigger trigger;
    private final AtomicInteger active;
    private final PrintStream err;
    private final String owner;
    private final MemorySegment buf;
    private final MemorySegment ctl;
    /** setsockopt's {@code int 1}, made once rather than per connection. */
    private final MemorySegment on;
    private final int readInterest;

    // Indexed by fd: whether it is ours, and its unsent bytes if a write was partial (else null).
    private boolean[] open = new boolean[1024];
    private Unsent[] pending = new Unsent[1024];
    private int count;
    /** What the last read(2) returned: a short read ends an edge-triggered turn. */
    private long lastRead;
    // Edge-triggered connections cut short at MAX_READS_PER_TURN, to serve again next turn.
    private boolean[] deferredFlag = new boolean[1024];
    private int[] deferred = new int[64];
    private int deferredCount;
    private int[] turn = new int[64];

    /**
     * @param arena  the loop's arena: holds the read buffer and the epoll_ctl argument
     * @param active connections open across every loop, for {@code --max-conns}
     * @param owner  names the loop in error reports, e.g. "loop 0"
     */
    public EchoConnections(Arena arena, int epfd, Trigger trigger, AtomicInteger active, PrintStream err, String owner) {
        this.epfd = epfd;
        this.trigger = trigger;
        this.active = active;
        this.err = err;
        this.owner = owner;
        this.buf = arena.allocate(READ_BUFFER);
        this.ctl = EpollEvent.allocate(arena);
        this.on = arena.allocateFrom(JAVA_INT, 1);
        this.readInterest = trigger == Trigger.EDGE
                ? EPoll.EPOLLIN | EPoll.EPOLLOUT | EPoll.EPOLLRDHUP | EPoll.EPOLLET
                : EPoll.EPOLLIN | EPoll.EPOLLRDHUP;
    }

    /** Takes a freshly accepted, non-blocking connection: TCP_NODELAY as Go's newTCPConn, then into the epoll set. */
    public void add(int fd) throws SyscallException {
        try {
            Socket.setsockopt(fd, Socket.SOL_TCP, Socket.TCP_NODELAY, on);
            grow(fd);
            register(EPoll.EPOLL_CTL_ADD, fd, readInterest);
        } catch (SyscallException e) {
            Unistd.close(fd);
            throw e;
        }
        open[fd] = true;
        count++;
        active.incrementAndGet();
    }

    /** Whether {@code fd} is a connection of this loop (an event for a closed fd may still be in the batch). */
    public boolean owns(int fd) {
        return fd < open.length && open[fd];
    }

    /** Connections open on this loop. */
    public int count() {
        return count;
    }

    /** What epoll reported for connection {@code fd}: flush, echo, or close it. */
    public void onEvent(int fd, int events) throws SyscallException {
        // Edge-triggered, a turn reads until EAGAIN — or until a short read, which on a TCP socket
        // means the receive queue is empty now, so data that comes later raises a new edge (nginx's
        // ngx_unix_recv stops there too). Not when the peer's close may be among the edges: one
        // reported now (RDHUP/HUP/ERR), or one that came while unsent bytes kept us from reading
        // (those events were not acted on): then read on to EOF.
        boolean untilEagain = (events & (EPoll.EPOLLRDHUP | EPoll.EPOLLHUP | EPoll.EPOLLERR)) != 0;
        if (pending[fd] != null) {
            if ((events & (EPoll.EPOLLOUT | EPoll.EPOLLERR | EPoll.EPOLLHUP)) == 0 || !flush(fd)) return;
            if (trigger == Trigger.LEVEL) return; // flushed; EPOLLIN is back in the interest set
            untilEagain = true;
        } else if (trigger == Trigger.EDGE && (events & (EPoll.EPOLLIN | EPoll.EPOLLRDHUP | EPoll.EPOLLHUP | EPoll.EPOLLERR)) == 0) {
            return; // a bare EPOLLOUT edge with nothing unsent: nothing to do
        }
        if (trigger == Trigger.LEVEL) {
            echoOnce(fd);
            return;
        }
        for (int reads = 1; echoOnce(fd); reads++) {
            if (lastRead < READ_BUFFER && !untilEagain) return;
            if (reads == MAX_READS_PER_TURN) {
                defer(fd);
                return;
            }
        }
    }

    /** Whether some connection still has input to read this turn: the loop's next epoll_wait must not block. */
    public boolean hasDeferred() {
        return deferredCount > 0;
    }

    /** Gives each deferred connection its next turn (after the loop has polled, so everyone got theirs). */
    public void serveDeferred() throws SyscallException {
        int[] now = deferred;
        int n = deferredCount;
        deferred = turn;
        turn = now;
        deferredCount = 0;
        for (int i = 0; i < n; i++) {
            int fd = now[i];
            deferredFlag[fd] = false;
            // RDHUP: read until EAGAIN, as the turn that was cut short would have if the peer had closed.
            if (open[fd] && pending[fd] == null) onEvent(fd, EPoll.EPOLLIN | EPoll.EPOLLRDHUP);
        }
    }

    private void defer(int fd) {
        if (deferredFlag[fd]) return;
        deferredFlag[fd] = true;
        if (deferredCount == deferred.length) deferred = Arrays.copyOf(deferred, deferredCount * 2);
        deferred[deferredCount++] = fd;
    }

    /**
     * One read and the write of what it got. True when the connection may have more to read right
     * now; false on EAGAIN, when bytes are left unsent, or when the connection was closed.
     */
    private boolean echoOnce(int fd) throws SyscallException {
        long n = Unistd.read(fd, buf, READ_BUFFER);
        lastRead = n;
        if (n == -Errno.EAGAIN) return false;
        if (n == -Errno.EINTR) {
            lastRead = READ_BUFFER; // interrupted, not short: read again
            return true;
        }
        if (n <= 0) {
            if (n < 0) report(fd, "read", n);
            close(fd);
            return false;
        }
        long w = Unistd.write(fd, buf, n);
        if (w == n) return true;
        if (w == -Errno.EAGAIN || w == -Errno.EINTR) w = 0;
        if (w < 0) {
            report(fd, "write", w);
            close(fd);
            return false;
        }
        keepUnsent(fd, n, w);
        return false;
    }

    /** Bytes read but not yet written back, in their own arena; {@code sent} of them are out. */
    private static final class Unsent {
        final Arena arena = Arena.ofConfined();
        final MemorySegment bytes;
        long sent;

        Unsent(MemorySegment from, long offset, long length) {
            bytes = arena.allocate(length);
            MemorySegment.copy(from, offset, bytes, 0, length);
        }
    }

    /** Partial write: copy bytes {@code w..n} of the read buffer aside and wait to be writable. */
    private void keepUnsent(int fd, long n, long w) throws SyscallException {
        pending[fd] = new Unsent(buf, w, n - w);
        // Level-triggered: EPOLLOUT only, or an unread EPOLLIN/RDHUP would wake every wait meanwhile.
        // Edge-triggered, EPOLLOUT is registered already and its edge comes when the peer reads.
        if (trigger == Trigger.LEVEL) register(EPoll.EPOLL_CTL_MOD, fd, EPoll.EPOLLOUT);
    }

    /** Writes unsent bytes; true once none are left (and reading may resume). */
    private boolean flush(int fd) throws SyscallException {
        Unsent rest = pending[fd];
        long left = rest.bytes.byteSize() - rest.sent;
        long w = Unistd.write(fd, rest.bytes.asSlice(rest.sent), left);
        if (w == -Errno.EAGAIN || w == -Errno.EINTR) return false;
        if (w < 0) {
            report(fd, "write", w);
            close(fd);
            return false;
        }
        if (w < left) {
            rest.sent += w;
            return false;
        }
        freePending(fd);
        if (trigger == Trigger.LEVEL) register(EPoll.EPOLL_CTL_MOD, fd, readInterest);
        return true;
    }

    /** close(2) also takes the fd out of the epoll set: nothing else refers to its open file. */
    public void close(int fd) {
        freePending(fd);
        open[fd] = false;
        Unistd.close(fd);
        count--;
        active.decrementAndGet();
    }

    /** Closes every connection of this loop: the end of a drain. */
    public void closeAll() {
        for (int fd = 0; fd < open.length; fd++) if (open[fd]) close(fd);
    }

    /**
     * epoll_ctl on the loop's epoll fd, data = the fd, with the event struct this object owns: for
     * its connections and for the loop's listener and wake-up fd alike.
     */
    void register(int op, int fd, int events) throws SyscallException {
        EpollEvent.set(ctl, events, fd);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, op, fd, ctl));
    }

    private void report(int fd, String call, long r) {
        err.println("ffm-echo: connection fd " + fd + " (" + owner + "): " + new SyscallException(call, (int) -r).getMessage());
    }

    private void freePending(int fd) {
        if (pending[fd] != null) pending[fd].arena.close();
        pending[fd] = null;
    }

    private void grow(int fd) {
        if (fd < open.length) return;
        int size = Math.max(fd + 1, open.length * 2);
        open = Arrays.copyOf(open, size);
        pending = Arrays.copyOf(pending, size);
        deferredFlag = Arrays.copyOf(deferredFlag, size);
    }
}
