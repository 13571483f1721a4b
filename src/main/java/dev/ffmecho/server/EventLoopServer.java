package dev.ffmecho.server;

import dev.ffmecho.net.Profile;
import dev.ffmecho.net.ReusePortListener;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code --mode eventloop}: the throughput mode, shaped like redis' ae_epoll.c rather than Go. N loop
 * threads, each with its own epoll fd and its own SO_REUSEPORT listener, so a connection lives and
 * dies on the loop that accepted it and no fd crosses threads.
 *
 * <p>Level-triggered: a readable connection gets one read of up to 64 KiB per wakeup (a short read
 * needs no second read to find EAGAIN, as edge-triggering would), and what was read is written
 * back. If the write is partial, only the unsent bytes are kept (in a buffer allocated for that
 * connection, the one allocation of the data path), the connection's interest switches from EPOLLIN
 * to EPOLLOUT — it is not read again until they are flushed — and EPOLLIN comes back when they are:
 * backpressure, never unbounded buffering. Per-connection state is an int and a buffer slot in
 * arrays indexed by fd; the read buffer and event array belong to the loop, in native memory, so
 * the hot path allocates nothing.
 *
 * <p>{@link #stop} closes the listeners at once, lets connections finish for
 * {@link EchoServer#DRAIN_MILLIS}, then closes the rest; each loop wakes through its eventfd.
 */
public final class EventLoopServer implements Server {
    private static final int MAX_EVENTS = 512;
    private static final int READ_BUFFER = 64 * 1024;

    private final Profile profile;
    private final TCPAddr laddr;
    private final int loopCount;
    private final int maxConns;
    private final boolean quiet;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicInteger active = new AtomicInteger();
    private final List<Loop> loops = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private volatile long drainDeadlineNanos;

    public EventLoopServer(Profile profile, TCPAddr laddr, int loops, int maxConns, boolean quiet,
                           PrintStream out, PrintStream err) {
        this.profile = profile;
        this.laddr = laddr;
        this.loopCount = loops;
        this.maxConns = maxConns;
        this.quiet = quiet;
        this.out = out;
        this.err = err;
    }

    /** Opens every loop's listener (all on the first one's port), runs the loops, returns when all have ended. */
    @Override
    public void serve(Consumer<TCPAddr> onListening) throws IOException {
        int first = ReusePortListener.open(profile, laddr);
        TCPAddr bound = new TCPAddr(laddr.ip(), ReusePortListener.port(first));
        List<Integer> listeners = new ArrayList<>(List.of(first));
        try {
            for (int i = 1; i < loopCount; i++) listeners.add(ReusePortListener.open(profile, bound));
            for (int i = 0; i < loopCount; i++) loops.add(new Loop(i, listeners.get(i)));
        } catch (SyscallException | RuntimeException e) {
            for (Loop l : loops) l.releaseWakeup();
            for (int fd : listeners) Unistd.close(fd);
            throw e;
        }
        onListening.accept(bound);
        List<Thread> threads = new ArrayList<>();
        for (Loop l : loops) threads.add(Thread.ofPlatform().name("ffm-echo-loop-" + l.index).start(l));
        try {
            for (Thread t : threads) t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            for (Loop l : loops) l.releaseWakeup();
        }
        for (Loop l : loops) {
            if (l.failure != null) throw l.failure;
        }
    }

    /** Stops accepting now; connections get {@link EchoServer#DRAIN_MILLIS} to finish. */
    @Override
    public void stop() {
        drainDeadlineNanos = System.nanoTime() + EchoServer.DRAIN_MILLIS * 1_000_000;
        stopping = true;
        for (Loop l : loops) l.wake();
    }

    /** One reactor: its epoll fd, listener, wake-up eventfd and the state of the connections it owns. */
    private final class Loop implements Runnable {
        final int index;
        private final int listenFd;
        private final int wakeFd;
        /** Lives until serve() returns; shared because {@link #wake} writes from the stopping thread. */
        private final Arena wakeArena = Arena.ofShared();
        private final MemorySegment one = wakeArena.allocate(JAVA_LONG);
        private int epfd = -1;
        private boolean listening = true;
        /** Whether the listener is in the epoll set: out of fds, it is taken out for a back-off. */
        private boolean listenerArmed;
        private final AcceptBackoff backoff = new AcceptBackoff();
        private long acceptResumeNanos;
        // Per-connection state, indexed by fd: whether it is ours, and its unsent bytes if any.
        private boolean[] open = new boolean[1024];
        private MemorySegment[] pending = new MemorySegment[1024];
        private Arena[] pendingArena = new Arena[1024];
        private long[] pendingOffset = new long[1024];
        private int conns;
        volatile IOException failure;

        Loop(int index, int listenFd) throws SyscallException {
            this.index = index;
            this.listenFd = listenFd;
            this.wakeFd = Errno.check("eventfd2", Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK));
            one.set(JAVA_LONG, 0, 1);
        }

        private boolean released;

        /** From the stopping thread; a no-op once the server has released the loop. */
        synchronized void wake() {
            if (!released) Unistd.write(wakeFd, one, 8);
        }

        /** By serve(), after the loop thread has ended (or never started). */
        synchronized void releaseWakeup() {
            if (released) return;
            released = true;
            Unistd.close(wakeFd);
            wakeArena.close();
        }

        @Override
        public void run() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment events = EpollEvent.allocateArray(arena, MAX_EVENTS);
                MemorySegment ctl = EpollEvent.allocate(arena);
                MemorySegment buf = arena.allocate(READ_BUFFER);
                MemorySegment drain = arena.allocate(JAVA_LONG);
                RawSockaddrAny peer = new RawSockaddrAny(arena);
                epfd = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
                register(ctl, EPoll.EPOLL_CTL_ADD, listenFd, EPoll.EPOLLIN);
                listenerArmed = true;
                register(ctl, EPoll.EPOLL_CTL_ADD, wakeFd, EPoll.EPOLLIN);
                while (true) {
                    long now = System.nanoTime();
                    if (stopping && listening) stopListening(ctl);
                    if (stopping && (conns == 0 || now >= drainDeadlineNanos)) break;
                    if (listening && !listenerArmed && now >= acceptResumeNanos) {
                        register(ctl, EPoll.EPOLL_CTL_ADD, listenFd, EPoll.EPOLLIN);
                        listenerArmed = true;
                    }
                    long wakeAt = Long.MAX_VALUE;
                    if (stopping) wakeAt = drainDeadlineNanos;
                    if (listening && !listenerArmed) wakeAt = Math.min(wakeAt, acceptResumeNanos);
                    int timeout = wakeAt == Long.MAX_VALUE ? -1 : (int) Math.max(1, (wakeAt - now + 999_999) / 1_000_000);
                    int n = EPoll.wait(epfd, events, MAX_EVENTS, timeout);
                    if (n == -Errno.EINTR) continue;
                    Errno.check("epoll_wait", n);
                    for (int i = 0; i < n; i++) {
                        int fd = (int) EpollEvent.data(events, i);
                        int ev = EpollEvent.events(events, i);
                        if (fd == wakeFd) {
                            Unistd.read(wakeFd, drain, 8);
                        } else if (fd == listenFd) {
                            if (listening) acceptAll(ctl, peer);
                        } else if (fd < open.length && open[fd]) {
                            onEvent(ctl, buf, fd, ev);
                        }
                    }
                }
                for (int fd = 0; fd < open.length; fd++) if (open[fd]) closeConn(fd);
            } catch (IOException e) {
                failure = e;
                stop(); // one loop failing ends them all, so serve() returns and reports it
            } finally {
                if (listening) Unistd.close(listenFd);
                if (epfd >= 0) Unistd.close(epfd);
            }
        }

        private void register(MemorySegment ctl, int op, int fd, int events) throws SyscallException {
            EpollEvent.set(ctl, events, fd);
            Errno.check("epoll_ctl", EPoll.ctl(epfd, op, fd, ctl));
        }

        private void stopListening(MemorySegment ctl) throws SyscallException {
            listening = false;
            if (listenerArmed) register(ctl, EPoll.EPOLL_CTL_DEL, listenFd, 0);
            Unistd.close(listenFd);
        }

        /** accept4 until EAGAIN: level-triggered, but one wakeup may stand for many connections. */
        private void acceptAll(MemorySegment ctl, RawSockaddrAny peer) throws SyscallException {
            while (true) {
                int fd = Socket.accept4(listenFd, peer, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
                if (fd == -Errno.EAGAIN) return;
                if (fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) continue;
                if (fd < 0 && AcceptBackoff.isTemporary(-fd)) {
                    // Out of fds. The listener stays readable (level-triggered), so it leaves the epoll
                    // set for the back-off while connections are served.
                    long wait = backoff.next();
                    err.println("ffm-echo: " + new SyscallException("accept4", -fd).getMessage() + "; retrying in " + wait + "ms");
                    register(ctl, EPoll.EPOLL_CTL_DEL, listenFd, 0);
                    listenerArmed = false;
                    acceptResumeNanos = System.nanoTime() + wait * 1_000_000;
                    return;
                }
                Errno.check("accept4", fd);
                backoff.reset();
                if (maxConns > 0 && active.get() >= maxConns) {
                    Unistd.close(fd);
                    continue;
                }
                Socket.setsockoptInt(fd, Socket.SOL_TCP, Socket.TCP_NODELAY, 1); // as Go's newTCPConn
                grow(fd);
                register(ctl, EPoll.EPOLL_CTL_ADD, fd, EPoll.EPOLLIN | EPoll.EPOLLRDHUP);
                open[fd] = true;
                conns++;
                active.incrementAndGet();
                if (!quiet) {
                    out.print('.');
                    out.flush();
                }
            }
        }

        private void onEvent(MemorySegment ctl, MemorySegment buf, int fd, int ev) throws SyscallException {
            if (pending[fd] != null) {
                if ((ev & (EPoll.EPOLLOUT | EPoll.EPOLLERR | EPoll.EPOLLHUP)) != 0) flush(ctl, fd);
                return; // not read again until the unsent bytes are out
            }
            long n = Unistd.read(fd, buf, READ_BUFFER);
            if (n == -Errno.EAGAIN || n == -Errno.EINTR) return;
            if (n <= 0) {
                if (n < 0) report(fd, "read", n);
                closeConn(fd);
                return;
            }
            long w = Unistd.write(fd, buf, n);
            if (w == n) return;
            if (w == -Errno.EAGAIN || w == -Errno.EINTR) w = 0;
            if (w < 0) {
                report(fd, "write", w);
                closeConn(fd);
                return;
            }
            // Partial write: keep only the unsent bytes, and wait for EPOLLOUT instead of EPOLLIN.
            Arena a = Arena.ofConfined();
            MemorySegment rest = a.allocate(n - w);
            MemorySegment.copy(buf, w, rest, 0, n - w);
            pendingArena[fd] = a;
            pending[fd] = rest;
            pendingOffset[fd] = 0;
            // EPOLLOUT only: a level-triggered RDHUP would fire on every wait while we cannot read.
            register(ctl, EPoll.EPOLL_CTL_MOD, fd, EPoll.EPOLLOUT);
        }

        private void flush(MemorySegment ctl, int fd) throws SyscallException {
            MemorySegment rest = pending[fd];
            long off = pendingOffset[fd];
            long left = rest.byteSize() - off;
            long w = Unistd.write(fd, rest.asSlice(off), left);
            if (w == -Errno.EAGAIN || w == -Errno.EINTR) return;
            if (w < 0) {
                report(fd, "write", w);
                closeConn(fd);
                return;
            }
            if (w < left) {
                pendingOffset[fd] = off + w;
                return;
            }
            freePending(fd);
            register(ctl, EPoll.EPOLL_CTL_MOD, fd, EPoll.EPOLLIN | EPoll.EPOLLRDHUP);
        }

        private void report(int fd, String call, long r) {
            err.println("ffm-echo: connection fd " + fd + " (loop " + index + "): "
                    + new SyscallException(call, (int) -r).getMessage());
        }

        private void freePending(int fd) {
            if (pendingArena[fd] != null) pendingArena[fd].close();
            pendingArena[fd] = null;
            pending[fd] = null;
        }

        /** close(2) also removes the fd from this loop's epoll set (it has no other references). */
        private void closeConn(int fd) {
            freePending(fd);
            open[fd] = false;
            Unistd.close(fd);
            conns--;
            active.decrementAndGet();
        }

        private void grow(int fd) {
            if (fd < open.length) return;
            int size = Math.max(fd + 1, open.length * 2);
            open = Arrays.copyOf(open, size);
            pending = Arrays.copyOf(pending, size);
            pendingArena = Arrays.copyOf(pendingArena, size);
            pendingOffset = Arrays.copyOf(pendingOffset, size);
        }
    }
}
