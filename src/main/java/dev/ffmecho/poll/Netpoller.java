package dev.ffmecho.poll;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import static dev.ffmecho.sys.EPoll.EPOLLERR;
import static dev.ffmecho.sys.EPoll.EPOLLET;
import static dev.ffmecho.sys.EPoll.EPOLLHUP;
import static dev.ffmecho.sys.EPoll.EPOLLIN;
import static dev.ffmecho.sys.EPoll.EPOLLOUT;
import static dev.ffmecho.sys.EPoll.EPOLLRDHUP;

/**
 * Go's network poller (runtime/netpoll.go, runtime/netpoll_epoll.go). A thread that must wait
 * ({@link #park}) does what Go's scheduler does in {@code findrunnable} when its goroutine blocks —
 * a non-blocking {@code netpoll(false)} first, then blocking {@code netpoll(true)} until the
 * goroutine is runnable again. That is the {@code epoll_wait(…, 0)} then {@code epoll_wait(…, -1)}
 * pair in the study note's trace.
 *
 * <p>As in Go, one thread at a time polls; every other waiting thread (a virtual thread per
 * connection in goroutine mode) parks until the poller reports its descriptor ready and unparks it
 * ({@code netpollready} → {@code goready}). When the poller's own wait is over it hands the role to
 * a waiting thread, so nobody polls when nobody waits. With a single thread (sequential mode) this
 * is exactly the loop above.
 *
 * <p>Virtual threads (goroutine mode) follow findrunnable more closely, because there the cost is
 * in the hand-offs. A virtual thread's carrier is its P. Go polls from the scheduler only when the P
 * has nothing else to run, and runs what the poll readied on the same M (runtime/proc.go
 * findrunnable at go1.19: the run queues first, then {@code netpoll(0)}, and {@code netpoll(delay)}
 * only once the P is released). So here: the last virtual thread to park, when no goroutine readied
 * by an earlier poll is still waiting to run ({@link #runnable} is 0), polls without blocking on its
 * own carrier; what it readies runs there next, with no thread switch. Only when that poll readies
 * nobody does the blocking poll start, and it is made by {@link #idleM}, one platform thread per
 * poller, started on first need: an M without a P, since a virtual thread blocked in epoll_wait
 * would hold its carrier. The idle M gives the role back as soon as its poll readied someone.
 *
 * <p>Registration copies {@code netpollopen}: every fd once, edge-triggered, for
 * {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET}, never modified; readiness is remembered in the
 * {@link PollDesc} until consumed. Where Go stores the pollDesc pointer in {@code epoll_event.data},
 * we store {@code seq << 32 | fd}: the fd finds the descriptor, the seq rejects an event that
 * belongs to an earlier registration of a reused fd number (newer Go does the same with its tagged
 * pointers, runtime/netpoll.go {@code fdseq}).
 *
 * <p>Native memory: one event array and one ctl event, from an arena that lives exactly as long
 * as this poller ({@link #close()}).
 */
public final class Netpoller implements AutoCloseable {
    /** Which Go runtime's poller to reproduce. */
    public enum Flavor {
        /**
         * go1.6 runtime/netpoll_epoll.go: epoll_wait; no wake-up pipe; a blocking netpoll that
         * readies nobody waits again at once ({@code if block && gp == 0 goto retry}).
         */
        GO1_6(false, Wakeup.NONE, false),
        /**
         * go1.19 runtime/netpoll_epoll.go: epoll_pwait (the {@code epollwait} stub is SYS_epoll_pwait);
         * netpollinit also makes the {@code netpollBreak} pipe (pipe2 O_NONBLOCK|O_CLOEXEC, read end
         * registered level-triggered for EPOLLIN); a blocking netpoll returns even when it readied
         * nobody, and findrunnable starts over with a non-blocking poll ({@code goto top}).
         */
        GO1_19(true, Wakeup.PIPE, true),
        /** go1.23: the same, but netpollBreak is an eventfd (runtime/netpoll_epoll.go {@code netpollinit}). */
        GO1_23(true, Wakeup.EVENTFD, true);

        final boolean epollPwait;
        final Wakeup wakeup;
        final boolean repollAfterIdleWake;

        Flavor(boolean epollPwait, Wakeup wakeup, boolean repollAfterIdleWake) {
            this.epollPwait = epollPwait;
            this.wakeup = wakeup;
            this.repollAfterIdleWake = repollAfterIdleWake;
        }
    }

    /** What netpollinit registers for {@code netpollBreak}. */
    enum Wakeup { NONE, PIPE, EVENTFD }

    /** {@code netpoll}'s {@code var events [128]epollevent}: hence {@code 128} in every epoll_wait. */
    static final int MAX_EVENTS = 128;
    /** {@code netpollopen}'s {@code ev.events}. */
    static final int EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    /** epoll data of the wake-up pipe: seq -1, fd -1, which no registration produces. */
    private static final long BREAK_DATA = -1L;

    private final Flavor flavor;
    private final Arena arena = Arena.ofShared();
    /** Written by the polling thread only (one at a time). */
    private final MemorySegment events = EpollEvent.allocateArray(arena, MAX_EVENTS);
    /**
     * Guards everything below and every PollDesc's flags and waiters. Never held across a blocking
     * call: epoll_wait runs outside it. A ReentrantLock rather than a monitor so that virtual
     * threads never pin their carrier on it (JDK 22/23).
     */
    private final ReentrantLock lock = new ReentrantLock();
    /** Room for fds 0-63 at first: a listener and a few connections without growing. */
    private static final int INITIAL_DESCS = 64;
    private final MemorySegment ctlEvent = EpollEvent.allocate(arena);
    /** The epoll fd, created by the first {@link #open} as Go's {@code netpollinit} is (serverInit once). */
    private int epfd = -1;
    /** Each registered fd's PollDesc, indexed by fd; doubles when an fd does not fit. */
    private PollDesc[] descs = new PollDesc[INITIAL_DESCS];
    private int nextSeq;
    /**
     * netpollBreakRd/Wr (go1.19: a pipe's two ends; go1.23: one eventfd), or -1. Made and registered
     * as Go's netpollinit does (the traces show both), but never written: Go's netpollBreak writes to
     * it to interrupt a blocked netpoll when a timer falls due or a P needs the M back, and neither
     * happens here — the blocking poll is one platform thread's, and a new virtual thread runs on a
     * carrier without it. In the Go 1.19 echo servers traced by verify nothing is written to it either. Held
     * to be closed.
     */
    private int breakRd = -1;
    private int breakWr = -1;
    /** Whether some thread holds the poller role ({@code sched.lastpoll == 0} in Go: one is in netpoll). */
    private boolean polling;
    /** Threads parked in {@link #park} waiting for their descriptor or for the poller role. */
    private final ArrayDeque<Thread> waiting = new ArrayDeque<>();
    /**
     * The threads the current poll readied, woken only once the lock is released: a thread woken
     * while the poller still holds the lock would block on it at once, and a contended lock costs
     * a queue node (and a parked virtual thread a new stack chunk) per message. Filled under the
     * lock and drained by the thread holding the poller role, so by one thread at a time.
     */
    private final Thread[] readiedThreads = new Thread[2 * MAX_EVENTS];
    private int readiedCount;
    /** Parked threads whose descriptor has not been reported ready yet: what a blocking poll is for. */
    private int sleepers;
    /**
     * Virtual threads a poll has readied that have not run yet: Go's run queue. While it is not
     * empty, no virtual thread polls and the idle M does not block: one of them will poll when it parks.
     */
    private int runnable;
    /** The idle M: blocks in netpoll on behalf of virtual threads; null until first needed. */
    private Thread idleM;
    /** Whether the idle M holds the poller role (then {@link #polling} is true as well). */
    private boolean idleMPolls;
    private boolean closed;

    public Netpoller(Flavor flavor) {
        this.flavor = flavor;
    }

    public Flavor flavor() {
        return flavor;
    }

    /** {@code poll_runtime_pollOpen} → {@code netpollopen}: register {@code fd} with epoll. */
    @GoFunction(value = "runtime.netpollopen", note = "05-epoll.md")
    public PollDesc open(int fd) throws SyscallException {
        lock.lock();
        try {
            if (epfd < 0) netpollinit();
            PollDesc pd = new PollDesc(fd, nextSeq++);
            EpollEvent.set(ctlEvent, EVENTS, (long) pd.seq << 32 | fd);
            Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_ADD, fd, ctlEvent));
            if (fd >= descs.length) descs = Arrays.copyOf(descs, Math.max(fd + 1, descs.length * 2));
            descs[fd] = pd;
            return pd;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code netpollinit}: epoll_create1(EPOLL_CLOEXEC), once. Go falls back to epoll_create(1024)
     * on kernels older than 2.6.27; every kernel a JDK 22 runs on has epoll_create1.
     */
    @GoFunction(value = "runtime.netpollinit", note = "05-epoll.md")
    private void netpollinit() throws SyscallException {
        epfd = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
        switch (flavor.wakeup) {
            case NONE -> {
                return;
            }
            case PIPE -> {
                MemorySegment fds = arena.allocate(JAVA_INT, 2);
                Errno.check("pipe2", Unistd.pipe2(fds, Unistd.O_NONBLOCK | Unistd.O_CLOEXEC));
                breakRd = fds.get(JAVA_INT, 0);
                breakWr = fds.get(JAVA_INT, 4);
            }
            case EVENTFD -> breakRd = breakWr = Errno.check("eventfd2",
                    Unistd.eventfd(0, Unistd.EFD_CLOEXEC | Unistd.EFD_NONBLOCK));
        }
        // Go puts &netpollBreakRd in data; any value no PollDesc can have will do.
        EpollEvent.set(ctlEvent, EPoll.EPOLLIN, BREAK_DATA);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_ADD, breakRd, ctlEvent));
    }

    /**
     * {@code poll_runtime_pollClose} → {@code netpollclose}: EPOLL_CTL_DEL, before the fd is closed.
     * Go passes a zeroed event rather than NULL (kernels before 2.6.9 required one); so do we.
     */
    @GoFunction(value = "runtime.netpollclose", note = "05-epoll.md")
    public void close(PollDesc pd) throws SyscallException {
        boolean idleMTakesOver = false;
        lock.lock();
        try {
            if (descs[pd.fd] == pd) descs[pd.fd] = null;
            EpollEvent.set(ctlEvent, 0, 0);
            Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_DEL, pd.fd, ctlEvent));
            // The closing goroutine may be the last runnable one and about to exit (Go: goexit →
            // schedule → findrunnable): if others sleep and nobody will poll, the idle M does.
            if (!polling && runnable == 0 && sleepers > 0) {
                polling = true;
                giveRoleToIdleM();
                idleMTakesOver = true;
            }
        } finally {
            lock.unlock();
            if (idleMTakesOver) LockSupport.unpark(idleM);
        }
    }

    /** {@code poll_runtime_pollReset}: an operation starts; readiness seen before it is forgotten. */
    void reset(PollDesc pd, int mode) {
        lock.lock();
        try {
            pd.reset(mode);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The goroutine blocks on {@code pd} for {@code mode} ({@code netpollblock}); the caller has
     * seen EAGAIN. This thread polls the way Go's scheduler does — non-blocking first, then blocking
     * until {@code pd} is ready — unless another thread is polling already, in which case it parks
     * until that thread reports {@code pd} ready or hands it the poller role.
     */
    public void park(PollDesc pd, int mode) throws SyscallException {
        boolean virtual = Thread.currentThread().isVirtual();
        boolean firstPoll = true; // findrunnable polls without blocking before it blocks
        while (true) {
            boolean mustWait;
            lock.lock();
            try {
                if (pd.consume(mode)) {
                    // Ready (an edge after the syscall, or reported by the poller). If nobody polls
                    // now and nobody readied will, the next waiter must take the role over.
                    if (!polling && runnable == 0) wakeNextWaiter();
                    return;
                }
                // A virtual thread polls only as the last one runnable (findrunnable: the run
                // queue before netpoll); a platform thread whenever nobody else polls.
                mustWait = polling || (virtual && runnable > 0);
                if (mustWait) sleep(pd, mode);
                else polling = true;
            } finally {
                lock.unlock();
            }
            if (mustWait) {
                awaitWake(pd, mode);
                continue;
            }
            if (virtual) {
                if (pollWithoutBlocking(pd, mode)) return;
                awaitWake(pd, mode);
                continue;
            }
            try {
                if (firstPoll) {
                    firstPoll = false;
                    if (netpoll(false, pd, mode)) return;
                }
                while (true) {
                    if (netpoll(true, pd, mode)) return;
                    // Woken for nobody here (e.g. a conn's EPOLLOUT edge). go1.6's netpoll blocks
                    // again at once; go1.19's findrunnable starts over at top, polling without blocking.
                    if (flavor.repollAfterIdleWake && netpoll(false, pd, mode)) return;
                }
            } finally {
                handOff();
            }
        }
    }

    /**
     * A virtual thread holding the role: {@code netpoll(0)} on its own carrier. Returns whether
     * {@code pd} became ready; if not, this thread is registered as a sleeper and must park: the
     * goroutines the poll readied run first (the last of them polls again), and when it readied
     * nobody the idle M takes the role and blocks.
     */
    private boolean pollWithoutBlocking(PollDesc pd, int mode) throws SyscallException {
        boolean ready;
        try {
            ready = netpoll(false, pd, mode);
        } catch (SyscallException | RuntimeException e) {
            handOff();
            throw e;
        }
        boolean idleMTakesOver = false;
        lock.lock();
        try {
            if (ready) {
                polling = false;
                if (runnable == 0) wakeNextWaiter();
                return true;
            }
            sleep(pd, mode);
            if (runnable > 0) {
                polling = false;
            } else {
                giveRoleToIdleM();
                idleMTakesOver = true;
            }
            return false;
        } finally {
            lock.unlock();
            if (idleMTakesOver) LockSupport.unpark(idleM); // after the lock, which it takes first
        }
    }

    /** Under the lock: this thread will park until {@code pd} is ready for {@code mode} (or it is handed the role). */
    private void sleep(PollDesc pd, int mode) {
        pd.waiter(mode, Thread.currentThread());
        waiting.add(Thread.currentThread());
        sleepers++;
    }

    /** Parks; then, under the lock, stops being a waiter (the poller may have done that already). */
    private void awaitWake(PollDesc pd, int mode) {
        LockSupport.park(this);
        lock.lock();
        try {
            if (pd.waiter(mode) == Thread.currentThread()) {
                pd.waiter(mode, null); // woken to take the poller role (or spuriously), not by a poll
                sleepers--;
            } else if (Thread.currentThread().isVirtual()) {
                runnable--; // readied by a poll: off the run queue
            }
            waiting.remove(Thread.currentThread());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock, holding the role: the idle M takes it and blocks in netpoll for the sleepers.
     * The caller unparks {@link #idleM} once it has released the lock, which the idle M takes first.
     */
    private void giveRoleToIdleM() {
        idleMPolls = true;
        if (idleM == null) {
            idleM = Thread.ofPlatform().daemon().name("ffm-echo-netpoll").start(this::idleM);
        }
    }

    /**
     * The idle M's life: wait for the role, then block in netpoll as long as someone sleeps on a
     * descriptor (go1.6's {@code goto retry}; go1.19 polls once more without blocking after an
     * idle wake, as findrunnable's {@code goto top}), then give the role up.
     */
    private void idleM() {
        while (true) {
            lock.lock();
            try {
                while (!idleMPolls && !closed) {
                    awaitRole();
                    if (!idleMPolls && !polling && runnable == 0 && sleepers > 0) {
                        // Nobody polls and nobody readied will: the last runnable virtual thread
                        // ended or blocked elsewhere (a lock, a sleep) instead of parking here.
                        polling = true;
                        idleMPolls = true;
                    }
                }
                if (closed) return;
            } finally {
                lock.unlock();
            }
            try {
                boolean needed = true;
                while (needed) {
                    int readied = poll(true);
                    if (readied == 0 && flavor.repollAfterIdleWake) readied = poll(false);
                    lock.lock();
                    try {
                        // Readied someone: they run on the carriers, and the last to park polls
                        // (findrunnable's M stops spinning once it found work). Readied nobody:
                        // block again while anyone sleeps on a descriptor.
                        needed = readied == 0 && sleepers > 0 && !closed;
                        if (!needed) {
                            idleMPolls = false;
                            polling = false;
                            if (runnable == 0) wakeNextWaiter();
                        }
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (SyscallException | RuntimeException e) {
                // The waiters poll for themselves and meet the error there.
                lock.lock();
                try {
                    idleMPolls = false;
                    polling = false;
                    for (Thread t : waiting) LockSupport.unpark(t);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** How long the idle M waits for the role before it checks that someone polls while anyone sleeps. */
    private static final long WATCHDOG_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Under the lock: the idle M waits to be given the role ({@link #giveRoleToIdleM} unparks it), at
     * most {@link #WATCHDOG_NANOS}; the lock is released while it waits. A plain park rather than a
     * {@code Condition}: a condition wait allocates a queue node, and a busy server's idle M waits
     * once per message. An unpark that comes before the park leaves a permit, so it is not lost;
     * a wake-up for nothing finds the role not given and waits again.
     */
    private void awaitRole() {
        lock.unlock();
        try {
            LockSupport.parkNanos(this, WATCHDOG_NANOS);
        } finally {
            lock.lock();
        }
    }

    /** The poller leaves: the role goes to a waiting thread, which will poll for itself and the rest. */
    private void handOff() {
        lock.lock();
        try {
            polling = false;
            wakeNextWaiter();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock, with nobody polling: wake one waiting thread so that it polls. */
    private void wakeNextWaiter() {
        Thread next = waiting.peek();
        if (next != null) LockSupport.unpark(next);
    }

    /**
     * {@code netpoll(block)}: one epoll_wait over all registered fds, marking each reported fd
     * ready and unparking its waiter ({@code netpollready}). Go's blocking netpoll (go1.6) loops
     * until some goroutine became runnable; here the caller loops until its own descriptor did,
     * which issues the same calls.
     * @return whether {@code self} is now ready for {@code mode} (and consumed)
     */
    @GoFunction(value = "runtime.netpoll", note = "06-accept4-eagain.md")
    private boolean netpoll(boolean block, PollDesc self, int mode) throws SyscallException {
        int n = epollWait(block);
        lock.lock();
        try {
            for (int i = 0; i < n; i++) dispatch(EpollEvent.events(events, i), EpollEvent.data(events, i));
            return self.consume(mode);
        } finally {
            lock.unlock();
            wakeReadied();
        }
    }

    /** {@code netpoll(block)} made by the idle M, for nobody in particular: how many sleepers it readied. */
    @GoFunction(value = "runtime.netpoll", note = "06-accept4-eagain.md")
    private int poll(boolean block) throws SyscallException {
        int n = epollWait(block);
        lock.lock();
        try {
            int before = sleepers;
            for (int i = 0; i < n; i++) dispatch(EpollEvent.events(events, i), EpollEvent.data(events, i));
            return before - sleepers;
        } finally {
            lock.unlock();
            wakeReadied();
        }
    }

    private int epollWait(boolean block) throws SyscallException {
        int timeout = block ? -1 : 0;
        int n;
        do {
            n = flavor.epollPwait ? EPoll.pwait(epfd, events, MAX_EVENTS, timeout) : EPoll.wait(epfd, events, MAX_EVENTS, timeout);
        } while (n == -Errno.EINTR); // netpoll: "if n != -_EINTR { throw }; goto retry"
        return Errno.check(flavor.epollPwait ? "epoll_pwait" : "epoll_wait", n);
    }

    private void dispatch(int ev, long data) {
        if (data == BREAK_DATA) return; // the wake-up pipe: its job was to end the wait
        int fd = (int) data;
        PollDesc pd = fd < descs.length ? descs[fd] : null;
        if (pd == null || pd.seq != (int) (data >>> 32)) return; // closed or re-registered since
        // netpoll: which events make a reader runnable, which a writer.
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readied(pd.ready(PollDesc.READ));
        if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) readied(pd.ready(PollDesc.WRITE));
    }

    /** Under the lock: a sleeper was woken by a poll ({@code netpollready} → {@code goready}). */
    private void readied(Thread waiter) {
        if (waiter == null) return;
        sleepers--;
        if (waiter.isVirtual()) runnable++;
        readiedThreads[readiedCount++] = waiter;
    }

    /**
     * Holding the poller role, after the lock is released: wakes the threads the last poll readied,
     * as findrunnable injects the list netpoll returned (runtime/proc.go injectglist, go1.19).
     */
    private void wakeReadied() {
        for (int i = 0; i < readiedCount; i++) {
            LockSupport.unpark(readiedThreads[i]);
            readiedThreads[i] = null;
        }
        readiedCount = 0;
    }

    /**
     * Closes the epoll fd (Go never does; a Java program that exits cleanly should) and frees memory.
     * Call it when no thread waits any more.
     */
    @GoFunction(value = "ffm-echo: release the netpoller on exit", note = "11-ffm.md")
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (idleM != null) LockSupport.unpark(idleM);
            if (breakRd >= 0) {
                Unistd.close(breakRd);
                if (breakWr != breakRd) Unistd.close(breakWr);
                breakRd = breakWr = -1;
            }
            if (epfd >= 0) {
                Unistd.close(epfd);
                epfd = -1;
            }
            arena.close();
        } finally {
            lock.unlock();
        }
    }
}
