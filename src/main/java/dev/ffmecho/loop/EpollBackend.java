package dev.ffmecho.loop;

import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The epoll backend, shaped like redis' ae_epoll.c: one epoll fd per loop, an epoll_wait per turn,
 * and the per-message path — read what a connection sent into the loop's buffer, write it straight
 * back.
 *
 * <p>On a partial write only the unsent bytes are kept (in a buffer allocated for that connection —
 * the one allocation of the data path, and only under backpressure) and the connection is not read
 * again until they are flushed: never unbounded buffering. Per-connection state is three entries in
 * arrays indexed by fd (6 bytes with compressed references), so an idle connection costs the
 * kernel's socket and little else here, and a message costs no allocation at all.
 */
final class EpollBackend implements Backend {
    /** One read per wakeup takes at most this much: 64 KiB, a loopback TCP segment's worth. */
    static final int READ_BUFFER = 64 * 1024;
    /**
     * Edge-triggered, a connection is read until EAGAIN — but at most this many times per turn, so a
     * client that keeps its socket full cannot starve the others (Netty's maxMessagesPerRead is 16
     * too). A connection cut short is deferred: served again after the next non-blocking poll.
     */
    static final int MAX_READS_PER_TURN = 16;
    /** epoll_wait's batch: events beyond it wait for the next turn (level-triggered, or still pending). */
    static final int MAX_EVENTS = 512;
    /** Initial length of the fd-indexed arrays; they double when an fd does not fit. */
    private static final int INITIAL_FDS = 1024;
    /** Initial room for connections deferred in one turn; doubles as needed. */
    private static final int INITIAL_DEFERRED = 64;

    private final Trigger trigger;
    private final Events events;
    private final int wakeFd;
    private final int epfd;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(READ_BUFFER);
    private final MemorySegment ctl = EpollEvent.allocate(arena);
    private final MemorySegment ready = EpollEvent.allocateArray(arena, MAX_EVENTS);
    private final MemorySegment drained = arena.allocate(JAVA_LONG);
    private final RawSockaddrAny peer = new RawSockaddrAny(arena);
    private final int readInterest;
    private int listenFd = -1;

    // Indexed by fd: whether it is ours, and its unsent bytes if a write was partial (else null).
    private boolean[] open = new boolean[INITIAL_FDS];
    private Unsent[] pending = new Unsent[INITIAL_FDS];
    private int count;
    /** What the last read(2) returned: a short read ends an edge-triggered turn. */
    private long lastRead;
    // Edge-triggered connections cut short at MAX_READS_PER_TURN, to serve again next turn.
    private boolean[] deferredFlag = new boolean[INITIAL_FDS];
    private int[] deferred = new int[INITIAL_DEFERRED];
    private int deferredCount;
    private int[] turn = new int[INITIAL_DEFERRED];

    /** @param wakeFd the loop's eventfd, watched for {@link Events#woken} */
    EpollBackend(Trigger trigger, int wakeFd, Events events) throws SyscallException {
        this.trigger = trigger;
        this.events = events;
        this.wakeFd = wakeFd;
        this.readInterest = trigger == Trigger.EDGE
                ? EPoll.EPOLLIN | EPoll.EPOLLOUT | EPoll.EPOLLRDHUP | EPoll.EPOLLET
                : EPoll.EPOLLIN | EPoll.EPOLLRDHUP;
        int fd = EPoll.create1(EPoll.EPOLL_CLOEXEC);
        if (fd < 0) {
            arena.close();
            throw new SyscallException("epoll_create1", -fd);
        }
        this.epfd = fd;
        try {
            register(EPoll.EPOLL_CTL_ADD, wakeFd, EPoll.EPOLLIN);
        } catch (SyscallException e) {
            close();
            throw e;
        }
    }

    @Override
    public void armAccept(int fd) throws SyscallException {
        listenFd = fd;
        register(EPoll.EPOLL_CTL_ADD, fd, EPoll.EPOLLIN);
    }

    @Override
    public void disarmAccept(int fd) throws SyscallException {
        register(EPoll.EPOLL_CTL_DEL, fd, 0);
        listenFd = -1;
    }

    @Override
    public void poll(int timeoutMillis) throws IOException {
        int n = EPoll.wait(epfd, ready, MAX_EVENTS, timeoutMillis);
        if (n == -Errno.EINTR) return;
        Errno.check("epoll_wait", n);
        serveDeferred();
        for (int i = 0; i < n; i++) {
            int fd = (int) EpollEvent.data(ready, i);
            if (fd == wakeFd) {
                Unistd.read(wakeFd, drained, JAVA_LONG.byteSize());
                events.woken();
            } else if (fd == listenFd) {
                acceptAll();
            } else if (owns(fd)) {
                onEvent(fd, EpollEvent.events(ready, i));
            }
        }
    }

    /** accept4 until EAGAIN: level-triggered, but one wakeup may stand for many connections. */
    private void acceptAll() throws IOException {
        while (listenFd >= 0) {
            int fd = Socket.accept4(listenFd, peer, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
            if (fd == -Errno.EAGAIN) return;
            if (fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) continue;
            if (fd < 0) {
                if (events.acceptFailed(-fd)) continue;
                // Paused (out of fds): the listener stays readable (level-triggered), so it leaves
                // the epoll set for the back-off while connections are served; the loop arms it again.
                disarmAccept(listenFd);
                return;
            }
            events.accepted(fd);
        }
    }

    /** Takes a freshly accepted, non-blocking connection into the epoll set. */
    @Override
    public void add(int fd) throws SyscallException {
        grow(fd);
        try {
            register(EPoll.EPOLL_CTL_ADD, fd, readInterest);
        } catch (SyscallException e) {
            Unistd.close(fd);
            throw e;
        }
        open[fd] = true;
        count++;
    }

    /** Whether {@code fd} is a connection of this loop (an event for a closed fd may still be in the batch). */
    private boolean owns(int fd) {
        return fd < open.length && open[fd];
    }

    @Override
    public int connections() {
        return count;
    }

    /** What epoll reported for connection {@code fd}: flush, echo, or close it. */
    private void onEvent(int fd, int mask) throws SyscallException {
        // Edge-triggered, a turn reads until EAGAIN — or until a short read, which on a TCP socket
        // means the receive queue is empty now, so data that comes later raises a new edge (nginx's
        // ngx_unix_recv stops there too). Not when the peer's close may be among the edges: one
        // reported now (RDHUP/HUP/ERR), or one that came while unsent bytes kept us from reading
        // (those events were not acted on): then read on to EOF.
        boolean untilEagain = (mask & (EPoll.EPOLLRDHUP | EPoll.EPOLLHUP | EPoll.EPOLLERR)) != 0;
        if (pending[fd] != null) {
            if ((mask & (EPoll.EPOLLOUT | EPoll.EPOLLERR | EPoll.EPOLLHUP)) == 0 || !flush(fd)) return;
            if (trigger == Trigger.LEVEL) return; // flushed; EPOLLIN is back in the interest set
            untilEagain = true;
        } else if (trigger == Trigger.EDGE && (mask & (EPoll.EPOLLIN | EPoll.EPOLLRDHUP | EPoll.EPOLLHUP | EPoll.EPOLLERR)) == 0) {
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
    @Override
    public boolean busy() {
        return deferredCount > 0;
    }

    /** Gives each deferred connection its next turn (after the loop has polled, so everyone got theirs). */
    private void serveDeferred() throws SyscallException {
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
    private void close(int fd) {
        freePending(fd);
        open[fd] = false;
        Unistd.close(fd);
        count--;
        events.closed(fd);
    }

    /** Closes every connection of this loop: the drain's deadline. */
    @Override
    public void endConnections() {
        for (int fd = 0; fd < open.length; fd++) if (open[fd]) close(fd);
    }

    @Override
    public void close() {
        endConnections();
        if (epfd >= 0) Unistd.close(epfd);
        arena.close();
    }

    /**
     * epoll_ctl on the loop's epoll fd, data = the fd, with the event struct this object owns: for
     * its connections and for the loop's listener and wake-up fd alike.
     */
    private void register(int op, int fd, int events) throws SyscallException {
        EpollEvent.set(ctl, events, fd);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, op, fd, ctl));
    }

    private void report(int fd, String call, long r) {
        events.failed(fd, call, (int) -r);
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
