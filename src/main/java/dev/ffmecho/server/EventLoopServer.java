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
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code --mode eventloop}: the throughput mode, shaped like redis' ae_epoll.c rather than Go. N loop
 * threads, each with its own epoll fd and the connections it accepted, so a connection lives and dies
 * on one thread. How connections reach the loops is {@link Acceptor}; how they are registered is
 * {@link Trigger}; what happens to a message is {@link EchoConnections}.
 *
 * <p>{@link #stop} closes the listeners at once, lets connections finish for
 * {@link EchoServer#DRAIN_MILLIS}, then closes the rest; each loop wakes through its eventfd.
 */
public final class EventLoopServer implements Server {
    private static final int MAX_EVENTS = 512;

    /** How accepted connections are spread over the loops ({@code --accept}). */
    public enum Acceptor {
        /** Every loop has its own SO_REUSEPORT listener: the kernel spreads connections by hash. */
        REUSEPORT,
        /** Loop 0 alone listens and deals connections round-robin, through each loop's inbox and eventfd. */
        SINGLE
    }

    /** The knobs of this mode: loop count, trigger, acceptor. */
    public record Tuning(int loops, Trigger trigger, Acceptor acceptor) {
        public Tuning {
            if (loops < 1) throw new IllegalArgumentException("loops < 1");
        }
    }

    private final Profile profile;
    private final TCPAddr laddr;
    private final Tuning tuning;
    private final int maxConns;
    private final boolean quiet;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicInteger active = new AtomicInteger();
    private final List<Loop> loops = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private volatile long drainDeadlineNanos;

    public EventLoopServer(Profile profile, TCPAddr laddr, Tuning tuning, int maxConns, boolean quiet,
                           PrintStream out, PrintStream err) {
        this.profile = profile;
        this.laddr = laddr;
        this.tuning = tuning;
        this.maxConns = maxConns;
        this.quiet = quiet;
        this.out = out;
        this.err = err;
    }

    /** Opens the listeners (all on the first one's port), runs the loops, returns when all have ended. */
    @Override
    public void serve(Consumer<TCPAddr> onListening) throws IOException {
        int first = ReusePortListener.open(profile, laddr);
        TCPAddr bound = new TCPAddr(laddr.ip(), ReusePortListener.port(first));
        int listenerCount = tuning.acceptor() == Acceptor.REUSEPORT ? tuning.loops() : 1;
        List<Integer> listeners = new ArrayList<>(List.of(first));
        try {
            for (int i = 1; i < listenerCount; i++) listeners.add(ReusePortListener.open(profile, bound));
            for (int i = 0; i < tuning.loops(); i++) loops.add(new Loop(i, i < listenerCount ? listeners.get(i) : -1));
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
            for (Loop l : loops) {
                l.releaseWakeup();
                l.closeInbox();
            }
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

    /** One reactor: its epoll fd, its listener (if it has one), its wake-up eventfd and its connections. */
    private final class Loop implements Runnable {
        final int index;
        private final int listenFd;
        private final int wakeFd;
        /** Lives until serve() returns; shared because {@link #wake} writes from other threads. */
        private final Arena wakeArena = Arena.ofShared();
        private final MemorySegment one = wakeArena.allocate(JAVA_LONG);
        /** Connections dealt to this loop by loop 0 ({@link Acceptor#SINGLE}), not yet taken. */
        private final ConcurrentLinkedQueue<Integer> inbox = new ConcurrentLinkedQueue<>();
        private int epfd = -1;
        private EchoConnections conns;
        private boolean listening;
        /** Whether the listener is in the epoll set: out of fds, it is taken out for a back-off. */
        private boolean listenerArmed;
        private final AcceptBackoff backoff = new AcceptBackoff();
        private long acceptResumeNanos;
        private int nextLoop;
        volatile IOException failure;
        private boolean released;

        /** {@code listenFd} is -1 for a loop that only serves what loop 0 deals it. */
        Loop(int index, int listenFd) throws SyscallException {
            this.index = index;
            this.listenFd = listenFd;
            this.listening = listenFd >= 0;
            this.wakeFd = Errno.check("eventfd2", Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK));
            one.set(JAVA_LONG, 0, 1);
        }

        /** From another thread (stop, or loop 0 dealing a connection); a no-op once the server has released the loop. */
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

        /** Connections dealt to this loop after it ended are closed, not leaked. */
        void closeInbox() {
            for (Integer fd; (fd = inbox.poll()) != null; ) {
                Unistd.close(fd);
                active.decrementAndGet();
            }
        }

        @Override
        public void run() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment events = EpollEvent.allocateArray(arena, MAX_EVENTS);
                MemorySegment drain = arena.allocate(JAVA_LONG);
                RawSockaddrAny peer = new RawSockaddrAny(arena);
                epfd = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
                conns = new EchoConnections(arena, epfd, tuning.trigger(), active, err, "loop " + index);
                if (listening) {
                    conns.register(EPoll.EPOLL_CTL_ADD, listenFd, EPoll.EPOLLIN);
                    listenerArmed = true;
                }
                conns.register(EPoll.EPOLL_CTL_ADD, wakeFd, EPoll.EPOLLIN);
                while (true) {
                    long now = System.nanoTime();
                    if (stopping && listening) stopListening();
                    if (stopping && (conns.count() == 0 || now >= drainDeadlineNanos)) break;
                    if (listening && !listenerArmed && now >= acceptResumeNanos) {
                        conns.register(EPoll.EPOLL_CTL_ADD, listenFd, EPoll.EPOLLIN);
                        listenerArmed = true;
                    }
                    int n = EPoll.wait(epfd, events, MAX_EVENTS, timeoutMillis(now));
                    if (n == -Errno.EINTR) continue;
                    Errno.check("epoll_wait", n);
                    conns.serveDeferred();
                    for (int i = 0; i < n; i++) {
                        int fd = (int) EpollEvent.data(events, i);
                        if (fd == wakeFd) {
                            Unistd.read(wakeFd, drain, 8);
                            takeInbox();
                        } else if (fd == listenFd) {
                            if (listening) acceptAll(peer);
                        } else if (conns.owns(fd)) {
                            conns.onEvent(fd, EpollEvent.events(events, i));
                        }
                    }
                }
                conns.closeAll();
            } catch (IOException e) {
                failure = e;
                stop(); // one loop failing ends them all, so serve() returns and reports it
            } finally {
                if (listening) Unistd.close(listenFd);
                if (epfd >= 0) Unistd.close(epfd);
            }
        }

        /** epoll_wait's timeout: 0 while deferred input waits, else until the drain deadline or the accept back-off ends. */
        private int timeoutMillis(long now) {
            if (conns.hasDeferred()) return 0;
            long wakeAt = Long.MAX_VALUE;
            if (stopping) wakeAt = drainDeadlineNanos;
            if (listening && !listenerArmed) wakeAt = Math.min(wakeAt, acceptResumeNanos);
            return wakeAt == Long.MAX_VALUE ? -1 : (int) Math.max(1, (wakeAt - now + 999_999) / 1_000_000);
        }

        private void stopListening() throws SyscallException {
            listening = false;
            if (listenerArmed) conns.register(EPoll.EPOLL_CTL_DEL, listenFd, 0);
            Unistd.close(listenFd);
        }

        /** accept4 until EAGAIN: level-triggered, but one wakeup may stand for many connections. */
        private void acceptAll(RawSockaddrAny peer) throws SyscallException {
            while (true) {
                int fd = Socket.accept4(listenFd, peer, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
                if (fd == -Errno.EAGAIN) return;
                if (fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) continue;
                if (fd < 0 && AcceptBackoff.isConnectionError(-fd)) {
                    // The failed connection's own error (accept(2) NOTES): the listener is fine.
                    err.println("ffm-echo: " + new SyscallException("accept4", -fd).getMessage() + "; accepting the next connection");
                    continue;
                }
                if (fd < 0 && AcceptBackoff.isTemporary(-fd)) {
                    // Out of fds. The listener stays readable (level-triggered), so it leaves the epoll
                    // set for the back-off while connections are served.
                    long wait = backoff.next();
                    err.println("ffm-echo: " + new SyscallException("accept4", -fd).getMessage() + "; retrying in " + wait + "ms");
                    conns.register(EPoll.EPOLL_CTL_DEL, listenFd, 0);
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
                deal(fd);
                if (!quiet) {
                    out.print('.');
                    out.flush();
                }
            }
        }

        /** Keeps the connection ({@link Acceptor#REUSEPORT}) or hands it to the next loop in turn. */
        private void deal(int fd) throws SyscallException {
            if (tuning.acceptor() == Acceptor.REUSEPORT) {
                conns.add(fd);
                return;
            }
            Loop to = loops.get(nextLoop);
            nextLoop = (nextLoop + 1) % loops.size();
            if (to == this) {
                conns.add(fd);
                return;
            }
            active.incrementAndGet(); // counted from accept, so --max-conns holds while it is in transit
            to.inbox.add(fd);
            to.wake();
        }

        private void takeInbox() throws SyscallException {
            for (Integer fd; (fd = inbox.poll()) != null; ) {
                active.decrementAndGet(); // add() counts it again
                conns.add(fd);
            }
        }
    }
}
