package dev.ffmecho.loop;

import dev.ffmecho.net.TCPConn;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One event loop, redis' ae.c in miniature: a thread, a {@link Backend} that waits and moves bytes,
 * and around it what every backend shares — when to accept (armed, paused for a back-off, stopped),
 * an eventfd through which other threads wake it, connections handed over by another loop, and the
 * drain: after {@link #stop}, no more accepts, and connections get until the deadline before the
 * backend ends them. Policy (admission, back-off lengths, error lines) is the {@link Dispatcher}'s.
 *
 * <p>Lifecycle: construct (the eventfd), {@link #run} on the loop's own thread until stopped and
 * drained, then {@link #release} once that thread has ended (or never started).
 */
public final class EventLoop implements Runnable {
    public final int index;
    private final Io io;
    private final Trigger trigger;
    private final int listenFd;
    private final Dispatcher dispatcher;
    private final int wakeFd;
    /** Lives until {@link #release}; shared because {@link #wake} writes from other threads. */
    private final Arena wakeArena = Arena.ofShared();
    private final MemorySegment one = wakeArena.allocate(JAVA_LONG);
    /** Connections handed over by another loop, not yet taken. */
    private final ConcurrentLinkedQueue<Integer> inbox = new ConcurrentLinkedQueue<>();
    private volatile boolean stopping;
    private volatile long drainDeadlineNanos;
    private volatile IOException failure;
    private boolean released;

    // The loop thread's own state.
    private Backend backend;
    /** Whether this loop still accepts (it has a listener and has not been stopped). */
    private boolean listening;
    /** Whether the backend is accepting now: false during an accept back-off. */
    private boolean acceptArmed;
    private long acceptResumeNanos;

    /**
     * @param listenFd the listening socket this loop accepts on, or -1 for a loop that only serves
     *                 connections handed over to it; the caller keeps it and closes it after the loop
     */
    public EventLoop(int index, Io io, Trigger trigger, int listenFd, Dispatcher dispatcher) throws SyscallException {
        this.index = index;
        this.io = io;
        this.trigger = trigger;
        this.listenFd = listenFd;
        this.listening = listenFd >= 0;
        this.dispatcher = dispatcher;
        int fd = Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK);
        if (fd < 0) {
            wakeArena.close();
            throw new SyscallException("eventfd2", -fd);
        }
        this.wakeFd = fd;
        one.set(JAVA_LONG, 0, 1);
    }

    @Override
    public void run() {
        Events events = new Events();
        try (Backend b = newBackend(io, trigger, wakeFd, events)) {
            backend = b;
            if (listening) {
                b.armAccept(listenFd);
                acceptArmed = true;
            }
            while (true) {
                long now = System.nanoTime();
                if (stopping && listening) stopAccepting();
                if (stopping && (b.connections() == 0 || now >= drainDeadlineNanos)) break;
                if (listening && !acceptArmed && now >= acceptResumeNanos) {
                    b.armAccept(listenFd);
                    acceptArmed = true;
                }
                b.poll(timeoutMillis(now));
            }
            b.endConnections();
        } catch (IOException | RuntimeException e) {
            // A loop that dies must end the others too, or serve() would wait for them for ever.
            failure = e instanceof IOException io ? io : new IOException("loop " + index + ": " + e, e);
            dispatcher.loopFailed(this, failure);
        } finally {
            backend = null;
        }
    }

    /**
     * Fails with one line naming why when {@code io} cannot serve on this machine (io_uring
     * disabled by sysctl or seccomp, or a kernel without multishot recv), before anything listens.
     */
    public static void checkAvailable(Io io) throws IoUnavailableException {
        if (io == Io.IO_URING) IoUringBackend.open(8).close();
    }

    /**
     * A backend of kind {@code io} ({@code trigger} applies to epoll), watching {@code wakeFd} and
     * reporting to {@code events}; confined to the calling thread.
     */
    public static Backend newBackend(Io io, Trigger trigger, int wakeFd, Backend.Events events) throws IOException {
        return io == Io.IO_URING ? new IoUringBackend(wakeFd, events) : new EpollBackend(trigger, wakeFd, events);
    }

    /** What ended the loop, if it failed; null after a clean stop. */
    public IOException failure() {
        return failure;
    }

    /** From another thread: stops accepting now; connections may go on until {@code drainDeadlineNanos}. */
    public void stop(long drainDeadlineNanos) {
        this.drainDeadlineNanos = drainDeadlineNanos;
        stopping = true;
        wake();
    }

    /** From another thread: a connection accepted elsewhere that this loop is to serve. */
    public void handOver(int fd) {
        inbox.add(fd);
        wake();
    }

    /**
     * On this loop's thread, from {@link Dispatcher#accepted}: serves {@code fd}, with the options
     * Go gives every accepted connection ({@link TCPConn#setNoDelay}).
     */
    public void serve(int fd) {
        TCPConn.setNoDelay(fd);
        try {
            backend.add(fd);
        } catch (SyscallException e) {
            dispatcher.connectionFailed(this, fd, e);
            dispatcher.connectionClosed(this);
        }
    }

    /** On this loop's thread, from {@link Dispatcher#accepted}: closes a connection not admitted. */
    public void refuse(int fd) {
        Unistd.close(fd);
    }

    /** After the loop's thread has ended (or never started): closes the eventfd and what was handed over too late. */
    public synchronized void release() {
        if (released) return;
        released = true;
        Unistd.close(wakeFd);
        wakeArena.close();
        for (Integer fd; (fd = inbox.poll()) != null; ) {
            Unistd.close(fd);
            dispatcher.connectionClosed(this);
        }
    }

    /** A no-op once released: a late wake-up must not write to a closed (maybe reused) fd. */
    private synchronized void wake() {
        if (!released) Unistd.write(wakeFd, one, JAVA_LONG.byteSize());
    }

    /** The wait: 0 while the backend has work left, else until the drain deadline or the end of an accept back-off. */
    private int timeoutMillis(long now) {
        if (backend.busy()) return 0;
        long wakeAt = Long.MAX_VALUE;
        if (stopping) wakeAt = drainDeadlineNanos;
        if (listening && !acceptArmed) wakeAt = Math.min(wakeAt, acceptResumeNanos);
        return wakeAt == Long.MAX_VALUE ? -1 : (int) Math.max(1, (wakeAt - now + 999_999) / 1_000_000);
    }

    private void stopAccepting() throws SyscallException {
        listening = false;
        if (acceptArmed) backend.disarmAccept(listenFd);
        acceptArmed = false;
    }

    /** The backend's reports, turned into the dispatcher's calls and the loop's accept state. */
    private final class Events implements Backend.Events {
        @Override
        public void accepted(int fd) {
            if (stopping) {
                refuse(fd); // accepted in the same batch as the stop
                return;
            }
            dispatcher.accepted(EventLoop.this, fd);
        }

        @Override
        public boolean acceptFailed(int errno) throws IOException {
            if (stopping) {
                acceptArmed = false; // the listener was shut down under it: accepting is over
                return false;
            }
            long pause = dispatcher.acceptFailed(EventLoop.this, new SyscallException("accept4", errno));
            if (pause == 0) return true;
            acceptArmed = false;
            acceptResumeNanos = System.nanoTime() + pause * 1_000_000;
            return false;
        }

        @Override
        public void woken() {
            for (Integer fd; (fd = inbox.poll()) != null; ) serve(fd);
        }

        @Override
        public void failed(int fd, String call, int errno) {
            dispatcher.connectionFailed(EventLoop.this, fd, new SyscallException(call, errno));
        }

        @Override
        public void closed(int fd) {
            dispatcher.connectionClosed(EventLoop.this);
        }
    }

    /** A connection of this loop, for an error line: "fd 7 (loop 0)". */
    public String describe(int fd) {
        return "fd " + fd + " (loop " + index + ")";
    }
}
