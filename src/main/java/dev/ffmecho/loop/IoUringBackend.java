package dev.ffmecho.loop;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.IoUring;
import dev.ffmecho.sys.IoUringBufRing;
import dev.ffmecho.sys.IoUringCqe;
import dev.ffmecho.sys.IoUringRings;
import dev.ffmecho.sys.IoUringSqe;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The io_uring backend: the loop submits requests and reaps their completions, one
 * io_uring_enter per turn carrying both.
 *
 * <ul>
 *   <li>One multishot accept on the listener: a completion per connection, no re-arming.</li>
 *   <li>One multishot recv per connection into the provided-buffer ring: the kernel picks a free
 *       buffer for each message and names it in the completion.</li>
 *   <li>A send of exactly the bytes received, from that same buffer; a short send is continued
 *       from where it stopped. A buffer goes back to the ring only when its send has completed.
 *       One send in flight per connection, so the bytes go back in the order they came; buffers
 *       received meanwhile wait in the connection's queue.</li>
 *   <li>Backpressure, never unbounded buffering: a connection that holds {@link #MAX_QUEUED}
 *       buffers unsent (its client does not read) has its recv cancelled until the queue has
 *       drained; when the ring is empty a recv ends with ENOBUFS and is re-armed once buffers
 *       come back.</li>
 * </ul>
 *
 * <p>Requests are told apart by their user_data: what they are ({@link #ACCEPT}, {@link #RECV},
 * ...) in the high half, the fd in the low half. A connection's fd is closed only when none of its
 * requests is in flight, so a completion never names a reused fd.
 */
final class IoUringBackend implements Backend {
    /** SQ slots (the CQ gets twice as many); a full SQ is submitted early, an overflowing CQ kept by the kernel (IORING_FEAT_NODROP). */
    static final int RING_ENTRIES = 4096;
    static final int BUFFER_GROUP = 0;
    /** Provided buffers: 1024 × 16 KiB, what the C yardstick in jmh/bench uses. */
    static final int BUFFERS = 1024;
    static final int BUFFER_SIZE = 16 * 1024;
    /** Received buffers a connection may hold unsent before its recv is cancelled. */
    static final int MAX_QUEUED = 8;
    private static final int INITIAL_FDS = 1024;
    /** How many turns the drain's end waits for the connections it shut down to report (each up to {@link #END_TURN_MILLIS}). */
    private static final int END_TURNS = 100;
    private static final int END_TURN_MILLIS = 10;

    // user_data kinds, in the high 32 bits; the fd is the low 32
    static final long ACCEPT = 1L << 32;
    static final long RECV = 2L << 32;
    static final long SEND = 3L << 32;
    static final long WAKE = 4L << 32;
    static final long CANCEL = 5L << 32;

    // per-connection state bits
    private static final int OPEN = 1;
    private static final int RECEIVING = 1 << 1;  // a multishot recv is in flight
    private static final int SENDING = 1 << 2;    // a send is in flight
    private static final int EOF = 1 << 3;        // no more input: the peer closed, or recv failed
    private static final int STARVED = 1 << 4;    // recv ended with ENOBUFS: re-arm when buffers return
    private static final int CANCELLING = 1 << 5; // recv cancelled for backpressure
    private static final int FAILED = 1 << 6;     // send failed: what is queued is dropped

    private final Events events;
    private final int wakeFd;
    private final IoUringRings ring;
    private final IoUringBufRing buffers;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment wakeCounter = arena.allocate(JAVA_LONG);

    private int[] state = new int[INITIAL_FDS];
    // Each connection's queue of received buffers, a list linked through next[]: head, tail, count,
    // and how much of the head buffer has been sent.
    private int[] queueHead = new int[INITIAL_FDS];
    private int[] queueTail = new int[INITIAL_FDS];
    private int[] queued = new int[INITIAL_FDS];
    private int[] sent = new int[INITIAL_FDS];
    private final int[] next;
    /** Bytes received into each buffer. */
    private final int[] length;
    private int count;
    /** Connections whose recv ended for want of buffers, to re-arm when some come back. */
    private int[] starved = new int[INITIAL_FDS];
    private int starvedCount;
    private boolean recycled;
    private int listenFd = -1;
    private int acceptFd = -1;  // the listener of the multishot accept in flight, or -1
    private boolean ending;

    IoUringBackend(int wakeFd, Events events) throws IOException {
        this(wakeFd, events, BUFFERS, BUFFER_SIZE);
    }

    /** With {@code bufferCount} provided buffers of {@code bufferSize} bytes (a power of two): tests use a small ring. */
    IoUringBackend(int wakeFd, Events events, int bufferCount, int bufferSize) throws IOException {
        this.events = events;
        this.wakeFd = wakeFd;
        this.next = new int[bufferCount];
        this.length = new int[bufferCount];
        IoUringRings r;
        try {
            r = open(RING_ENTRIES);
        } catch (IOException e) {
            arena.close();
            throw e;
        }
        this.ring = r;
        try {
            this.buffers = IoUringBufRing.register(ring, BUFFER_GROUP, bufferCount, bufferSize);
        } catch (SyscallException | RuntimeException e) {
            ring.close();
            arena.close();
            throw e;
        }
        armWake();
    }

    /**
     * Sets up a ring and checks it can run this backend: multishot recv needs Linux 6.0, which is
     * also when IORING_SETUP_SINGLE_ISSUER came; a kernel that refused that flag is older.
     * @throws IoUnavailableException naming the cause
     */
    static IoUringRings open(int entries) throws IoUnavailableException {
        IoUringRings r;
        try {
            r = IoUringRings.setup(entries, IoUringRings.SETUP_FLAGS_NEWEST_FIRST);
        } catch (SyscallException e) {
            throw new IoUnavailableException(e.getMessage() + switch (e.errno()) {
                case Errno.ENOSYS -> ": this kernel has no io_uring";
                case Errno.EPERM -> ": io_uring is disabled (sysctl kernel.io_uring_disabled, or a container's seccomp filter)";
                default -> "";
            });
        }
        if ((r.setupFlags() & IoUring.IORING_SETUP_SINGLE_ISSUER) == 0 || (r.features() & IoUring.IORING_FEAT_EXT_ARG) == 0
                || !r.supports(IoUring.IORING_OP_RECV) || !r.supports(IoUring.IORING_OP_SEND) || !r.supports(IoUring.IORING_OP_ACCEPT)) {
            r.close();
            throw new IoUnavailableException("this kernel's io_uring has no multishot recv (Linux 6.0 or newer needed)");
        }
        return r;
    }

    // ---- accept ----

    @Override
    public void armAccept(int fd) {
        listenFd = fd;
        if (acceptFd < 0) submitAccept();
    }

    @Override
    public void disarmAccept(int fd) {
        listenFd = -1;
        if (acceptFd >= 0) IoUringSqe.cancel(ring.sqes(), sqe(), ACCEPT | acceptFd, CANCEL | acceptFd);
    }

    private void submitAccept() {
        IoUringSqe.acceptMultishot(ring.sqes(), sqe(), listenFd, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC, ACCEPT | listenFd);
        acceptFd = listenFd;
    }

    private void onAccept(int res, int flags) throws IOException {
        if ((flags & IoUring.IORING_CQE_F_MORE) == 0) acceptFd = -1;
        if (res >= 0) {
            events.accepted(res);
        } else if (res != -Errno.ECANCELED && res != -Errno.EINTR && res != -Errno.ECONNABORTED && listenFd >= 0
                && !events.acceptFailed(-res)) {
            disarmAccept(listenFd); // a back-off: the loop arms it again when it ends
        }
        if (acceptFd < 0 && listenFd >= 0) submitAccept();
    }

    // ---- connections ----

    @Override
    public void add(int fd) {
        grow(fd);
        state[fd] = OPEN;
        queueHead[fd] = -1;
        queueTail[fd] = -1;
        queued[fd] = 0;
        sent[fd] = 0;
        count++;
        armRecv(fd);
    }

    @Override
    public int connections() {
        return count;
    }

    @Override
    public boolean busy() {
        return false;
    }

    private void armRecv(int fd) {
        IoUringSqe.recvMultishot(ring.sqes(), sqe(), fd, BUFFER_GROUP, RECV | fd);
        state[fd] = (state[fd] | RECEIVING) & ~(STARVED | CANCELLING);
    }

    private void onRecv(int fd, int res, int flags) {
        if ((flags & IoUring.IORING_CQE_F_MORE) == 0) state[fd] &= ~(RECEIVING | CANCELLING);
        if (res > 0 && (state[fd] & FAILED) != 0) {
            recycle(IoUringCqe.bufferId(flags)); // nothing more goes back to a connection that failed
        } else if (res > 0) {
            int bid = IoUringCqe.bufferId(flags);
            length[bid] = res;
            enqueue(fd, bid);
            if ((state[fd] & (SENDING | FAILED)) == 0) sendHead(fd);
            if (queued[fd] >= MAX_QUEUED && (state[fd] & (RECEIVING | CANCELLING)) == RECEIVING) {
                IoUringSqe.cancel(ring.sqes(), sqe(), RECV | fd, CANCEL | fd);
                state[fd] |= CANCELLING;
            }
        } else if (res == 0) {
            state[fd] |= EOF;
        } else if (res == -Errno.ENOBUFS) {
            state[fd] |= STARVED;
            if (starvedCount == starved.length) starved = Arrays.copyOf(starved, starvedCount * 2);
            starved[starvedCount++] = fd;
        } else if (res != -Errno.ECANCELED) {
            fail(fd, "recv", -res);
        }
        settle(fd);
    }

    private void sendHead(int fd) {
        int bid = queueHead[fd];
        IoUringSqe.send(ring.sqes(), sqe(), fd, buffers.address(bid) + sent[fd], length[bid] - sent[fd], Socket.MSG_NOSIGNAL, SEND | fd);
        state[fd] |= SENDING;
    }

    private void onSend(int fd, int res) {
        state[fd] &= ~SENDING;
        if (res < 0) {
            fail(fd, "send", -res);
            if ((state[fd] & (RECEIVING | CANCELLING)) == RECEIVING) {
                IoUringSqe.cancel(ring.sqes(), sqe(), RECV | fd, CANCEL | fd);
                state[fd] |= CANCELLING;
            }
        } else {
            int bid = queueHead[fd];
            sent[fd] += res;
            if (sent[fd] == length[bid]) {
                dequeue(fd);
                recycle(bid);
            }
            if (queued[fd] > 0) sendHead(fd); // the rest of a short send, or the next buffer
        }
        settle(fd);
    }

    /**
     * The connection's recv or send failed: reported once (a reset usually fails both), unless the
     * loop is ending connections itself; what is queued is dropped and nothing more is sent.
     */
    private void fail(int fd, String call, int errno) {
        if ((state[fd] & FAILED) == 0 && !ending) events.failed(fd, call, errno);
        state[fd] |= FAILED | EOF;
        dropQueue(fd);
    }

    /** After a completion: re-arm a recv that may go on, or close a connection that is done. */
    private void settle(int fd) {
        int s = state[fd];
        if ((s & (OPEN | RECEIVING | CANCELLING)) != OPEN) return; // not ours, or its recv is still in flight
        if ((s & EOF) != 0) {
            if ((s & SENDING) == 0 && queued[fd] == 0) close(fd);
        } else if ((s & STARVED) == 0 && queued[fd] <= MAX_QUEUED / 2) {
            armRecv(fd);
        }
    }

    private void close(int fd) {
        dropQueue(fd);
        state[fd] = 0;
        count--;
        Unistd.close(fd);
        events.closed(fd);
    }

    // ---- the queue of received buffers, and the ring they return to ----

    private void enqueue(int fd, int bid) {
        next[bid] = -1;
        if (queueTail[fd] < 0) queueHead[fd] = bid;
        else next[queueTail[fd]] = bid;
        queueTail[fd] = bid;
        queued[fd]++;
    }

    private void dequeue(int fd) {
        int bid = queueHead[fd];
        queueHead[fd] = next[bid];
        if (queueHead[fd] < 0) queueTail[fd] = -1;
        queued[fd]--;
        sent[fd] = 0;
    }

    /** Gives back every queued buffer (only when no send of them is in flight). */
    private void dropQueue(int fd) {
        if ((state[fd] & SENDING) != 0) return;
        while (queued[fd] > 0) {
            int bid = queueHead[fd];
            dequeue(fd);
            recycle(bid);
        }
    }

    private void recycle(int bid) {
        buffers.recycle(bid);
        recycled = true;
    }

    /** Publishes returned buffers, then re-arms the connections that were waiting for them. */
    private void returnBuffers() {
        if (!recycled) return;
        recycled = false;
        buffers.publish();
        int n = starvedCount;
        starvedCount = 0;
        for (int i = 0; i < n; i++) {
            int fd = starved[i];
            state[fd] &= ~STARVED;
            settle(fd);
        }
    }

    // ---- the wake-up eventfd ----

    private void armWake() {
        IoUringSqe.read(ring.sqes(), sqe(), wakeFd, wakeCounter, WAKE | wakeFd);
    }

    // ---- the turn ----

    @Override
    public void poll(int timeoutMillis) throws IOException {
        int r = ring.submitAndWait(timeoutMillis == 0 ? 0 : 1, timeoutMillis < 0 ? -1 : timeoutMillis * 1_000_000L);
        // EBUSY/EAGAIN: the CQ is full (or overflowed) — reaping below makes room.
        if (r < 0 && r != -Errno.EBUSY && r != -Errno.EAGAIN) throw new SyscallException("io_uring_enter", -r);
        reap();
    }

    /** Handles every completion posted, one at a time: read it, give its slot back, act on it. */
    private void reap() throws IOException {
        MemorySegment cqes = ring.cqes();
        for (int n = ring.completions(); n > 0; n = ring.completions()) {
            for (int i = 0; i < n; i++) {
                long at = ring.completion(0);
                long userData = IoUringCqe.userData(cqes, at);
                int res = IoUringCqe.res(cqes, at);
                int flags = IoUringCqe.flags(cqes, at);
                ring.consume(1);
                int fd = (int) userData;
                switch ((int) (userData >>> 32)) {
                    case 1 -> onAccept(res, flags);
                    case 2 -> onRecv(fd, res, flags);
                    case 3 -> onSend(fd, res);
                    case 4 -> {
                        if (res >= 0) events.woken();
                        armWake();
                    }
                    default -> { } // CANCEL: the cancelled request's own completion says what happened
                }
            }
            returnBuffers();
        }
        returnBuffers();
    }

    /** The next SQE slot; when all are taken, the filled ones are submitted first. */
    private long sqe() {
        long at = ring.nextSqe();
        if (at >= 0) return at;
        ring.submitAndWait(0, -1);
        at = ring.nextSqe();
        if (at < 0) throw new IllegalStateException("io_uring: no SQE free after submitting");
        return at;
    }

    /**
     * The drain's deadline: shutdown(2) ends every connection's recv (it completes with 0) and
     * fails its send, and each is closed as its last request completes — waited for a bounded time.
     */
    @Override
    public void endConnections() {
        ending = true;
        for (int fd = 0; fd < state.length; fd++) {
            if ((state[fd] & OPEN) != 0) {
                Socket.shutdown(fd, Socket.SHUT_RDWR);
                state[fd] |= FAILED | EOF;
                dropQueue(fd);
                settle(fd);
            }
        }
        for (int turn = 0; turn < END_TURNS && count > 0; turn++) {
            try {
                poll(END_TURN_MILLIS);
            } catch (IOException e) {
                break; // close() below closes what is left
            }
        }
    }

    /** Closes what is still open, gives the buffer ring back, unmaps the rings: the kernel cancels what is in flight. */
    @Override
    public void close() {
        for (int fd = 0; fd < state.length; fd++) {
            if ((state[fd] & OPEN) != 0) close(fd);
        }
        buffers.close();
        ring.close();
        arena.close();
    }

    private void grow(int fd) {
        if (fd < state.length) return;
        int size = Math.max(fd + 1, state.length * 2);
        state = Arrays.copyOf(state, size);
        queueHead = Arrays.copyOf(queueHead, size);
        queueTail = Arrays.copyOf(queueTail, size);
        queued = Arrays.copyOf(queued, size);
        sent = Arrays.copyOf(sent, size);
    }
}
