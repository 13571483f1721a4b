package dev.ffmecho.poll;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.EPoll;
import dev.ffmecho.sys.EpollEvent;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import static dev.ffmecho.sys.EPoll.EPOLLERR;
import static dev.ffmecho.sys.EPoll.EPOLLET;
import static dev.ffmecho.sys.EPoll.EPOLLHUP;
import static dev.ffmecho.sys.EPoll.EPOLLIN;
import static dev.ffmecho.sys.EPoll.EPOLLOUT;
import static dev.ffmecho.sys.EPoll.EPOLLRDHUP;

/**
 * Go's network poller (runtime/netpoll.go, runtime/netpoll_epoll.go) for a program whose one
 * goroutine runs on this thread: when that goroutine must wait, this thread does what Go's scheduler
 * does in {@code findrunnable} — a non-blocking {@code netpoll(false)} first, then blocking
 * {@code netpoll(true)} until the goroutine is runnable again. That is the
 * {@code epoll_wait(…, 0)} then {@code epoll_wait(…, -1)} pair in the study note's trace.
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
        GO1_6(false, false, false),
        /**
         * go1.19 runtime/netpoll_epoll.go: epoll_pwait (the {@code epollwait} stub is SYS_epoll_pwait);
         * netpollinit also makes the {@code netpollBreak} pipe (pipe2 O_NONBLOCK|O_CLOEXEC, read end
         * registered level-triggered for EPOLLIN); a blocking netpoll returns even when it readied
         * nobody, and findrunnable starts over with a non-blocking poll ({@code goto top}).
         */
        GO1_19(true, true, true);

        final boolean epollPwait;
        final boolean breakPipe;
        final boolean repollAfterIdleWake;

        Flavor(boolean epollPwait, boolean breakPipe, boolean repollAfterIdleWake) {
            this.epollPwait = epollPwait;
            this.breakPipe = breakPipe;
            this.repollAfterIdleWake = repollAfterIdleWake;
        }
    }

    /** {@code netpoll}'s {@code var events [128]epollevent}: hence {@code 128} in every epoll_wait. */
    static final int MAX_EVENTS = 128;
    /** {@code netpollopen}'s {@code ev.events}. */
    static final int EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

    private final Flavor flavor;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment events = EpollEvent.allocateArray(arena, MAX_EVENTS);
    private final MemorySegment ctlEvent = EpollEvent.allocate(arena);
    /** The epoll fd, created by the first {@link #open} as Go's {@code netpollinit} is (serverInit once). */
    private int epfd = -1;
    private PollDesc[] descs = new PollDesc[64];
    private int nextSeq;
    /** go1.19's netpollBreakRd/Wr, or -1. */
    private int breakRd = -1;
    private int breakWr = -1;

    public Netpoller(Flavor flavor) {
        this.flavor = flavor;
    }

    public Flavor flavor() {
        return flavor;
    }

    /** {@code poll_runtime_pollOpen} → {@code netpollopen}: register {@code fd} with epoll. */
    @GoFunction(value = "runtime.netpollopen", note = "05-epoll.md")
    public synchronized PollDesc open(int fd) throws SyscallException {
        if (epfd < 0) netpollinit();
        PollDesc pd = new PollDesc(fd, nextSeq++);
        EpollEvent.set(ctlEvent, EVENTS, (long) pd.seq << 32 | fd);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_ADD, fd, ctlEvent));
        if (fd >= descs.length) descs = Arrays.copyOf(descs, Math.max(fd + 1, descs.length * 2));
        descs[fd] = pd;
        return pd;
    }

    /**
     * {@code netpollinit}: epoll_create1(EPOLL_CLOEXEC), once. Go falls back to epoll_create(1024)
     * on kernels older than 2.6.27; every kernel a JDK 22 runs on has epoll_create1.
     */
    @GoFunction(value = "runtime.netpollinit", note = "05-epoll.md")
    private void netpollinit() throws SyscallException {
        epfd = Errno.check("epoll_create1", EPoll.create1(EPoll.EPOLL_CLOEXEC));
        if (!flavor.breakPipe) return;
        MemorySegment fds = arena.allocate(JAVA_INT, 2);
        Errno.check("pipe2", Unistd.pipe2(fds, Unistd.O_NONBLOCK | Unistd.O_CLOEXEC));
        breakRd = fds.get(JAVA_INT, 0);
        breakWr = fds.get(JAVA_INT, 4);
        // Go puts &netpollBreakRd in data; any value no PollDesc can have will do: fd -1.
        EpollEvent.set(ctlEvent, EPoll.EPOLLIN, BREAK_DATA);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_ADD, breakRd, ctlEvent));
    }

    /** epoll data of the wake-up pipe: seq -1, fd -1, which no registration produces. */
    private static final long BREAK_DATA = -1L;

    /**
     * {@code poll_runtime_pollClose} → {@code netpollclose}: EPOLL_CTL_DEL, before the fd is closed.
     * Go passes a zeroed event rather than NULL (kernels before 2.6.9 required one); so do we.
     */
    @GoFunction(value = "runtime.netpollclose", note = "05-epoll.md")
    public synchronized void close(PollDesc pd) throws SyscallException {
        if (descs[pd.fd] == pd) descs[pd.fd] = null;
        EpollEvent.set(ctlEvent, 0, 0);
        Errno.check("epoll_ctl", EPoll.ctl(epfd, EPoll.EPOLL_CTL_DEL, pd.fd, ctlEvent));
    }

    /**
     * The goroutine blocks on {@code pd} for {@code mode} ({@code netpollblock}); this thread plays
     * the scheduler until epoll reports it ready. The caller has already seen EAGAIN.
     */
    public void park(PollDesc pd, int mode) throws SyscallException {
        if (pd.consume(mode)) return;   // an edge arrived after the syscall: no wait at all
        netpoll(false);                 // findrunnable: "poll network" before stealing work
        while (!pd.consume(mode)) {
            netpoll(true);              // findrunnable: block in netpoll until work arrives
            if (pd.consume(mode)) return;
            // Woken for nobody (e.g. a conn's EPOLLOUT edge). go1.6's netpoll blocks again at once;
            // go1.19's findrunnable starts over at top, which polls without blocking first.
            if (flavor.repollAfterIdleWake) netpoll(false);
        }
    }

    /**
     * {@code netpoll(block)}: one epoll_wait over all registered fds, marking each reported fd
     * ready. Go's blocking netpoll loops until some goroutine became runnable; here the caller of
     * {@link #park} loops until its own descriptor did, which issues the same calls.
     */
    @GoFunction(value = "runtime.netpoll", note = "06-accept4-eagain.md")
    private void netpoll(boolean block) throws SyscallException {
        int timeout = block ? -1 : 0;
        int n;
        do {
            n = flavor.epollPwait ? EPoll.pwait(epfd, events, MAX_EVENTS, timeout) : EPoll.wait(epfd, events, MAX_EVENTS, timeout);
        } while (n == -Errno.EINTR); // netpoll: "if n != -_EINTR { throw }; goto retry"
        Errno.check("epoll_wait", n);
        for (int i = 0; i < n; i++) {
            dispatch(EpollEvent.events(events, i), EpollEvent.data(events, i));
        }
    }

    private void dispatch(int ev, long data) {
        if (data == BREAK_DATA) return; // the wake-up pipe: its job was to end the wait
        int fd = (int) data;
        PollDesc pd = fd < descs.length ? descs[fd] : null;
        if (pd == null || pd.seq != (int) (data >>> 32)) return; // closed or re-registered since
        // netpoll: which events make a reader runnable, which a writer.
        if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) pd.ready(PollDesc.READ);
        if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) pd.ready(PollDesc.WRITE);
    }

    /** Closes the epoll fd (Go never does; a Java program that exits cleanly should) and frees memory. */
    @Override
    @GoFunction(value = "ffm-echo: release the netpoller on exit", note = "11-ffm.md")
    public synchronized void close() {
        if (breakRd >= 0) {
            Unistd.close(breakRd);
            Unistd.close(breakWr);
            breakRd = breakWr = -1;
        }
        if (epfd >= 0) {
            Unistd.close(epfd);
            epfd = -1;
        }
        arena.close();
    }
}
