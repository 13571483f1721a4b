package dev.ffmecho.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code <sys/epoll.h>}: constants and the three calls, after the JDK's own {@code sun.nio.ch.EPoll}.
 * The event struct is {@link EpollEvent}.
 */
public final class EPoll {
    public static final int EPOLL_CLOEXEC = 0x80000;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;

    private static final MethodHandle EPOLL_CREATE1 = Downcalls.errnoCapturing("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = Downcalls.errnoCapturing("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = Downcalls.errnoCapturing("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private static final MethodHandle EPOLL_PWAIT = Downcalls.errnoCapturing("epoll_pwait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));

    private EPoll() {}

    /** epoll_create1(2). */
    public static int create1(int flags) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) EPOLL_CREATE1.invokeExact(state, flags), state);
            if (Narrator.ENABLED) Narrator.epollCreate1(flags, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** epoll_ctl(2); {@code event} is one {@link EpollEvent} (never NULL, even for DEL: see callers). */
    public static int ctl(int epfd, int op, int fd, MemorySegment event) {
        MemorySegment state = Downcalls.callState();
        try {
            int r = Downcalls.resultOrErrno((int) EPOLL_CTL.invokeExact(state, epfd, op, fd, event), state);
            if (Narrator.ENABLED) Narrator.epollCtl(epfd, op, fd, event, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** epoll_wait(2) into {@code events}, an array of {@code maxEvents} {@link EpollEvent}s. */
    public static int wait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        MemorySegment state = Downcalls.callState();
        if (Narrator.ENABLED && timeoutMillis != 0) Narrator.epollWaitEnter("epoll_wait", epfd);
        try {
            int r = Downcalls.resultOrErrno(
                    (int) EPOLL_WAIT.invokeExact(state, epfd, events, maxEvents, timeoutMillis), state);
            if (Narrator.ENABLED) Narrator.epollWait(epfd, events, maxEvents, timeoutMillis, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /**
     * epoll_pwait(2) with a NULL sigmask — what Go's runtime calls since it stopped using
     * epoll_wait (runtime/netpoll_epoll.go at go1.19: {@code epollwait} is SYS_epoll_pwait).
     */
    public static int pwait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        MemorySegment state = Downcalls.callState();
        if (Narrator.ENABLED && timeoutMillis != 0) Narrator.epollWaitEnter("epoll_pwait", epfd);
        try {
            int r = Downcalls.resultOrErrno(
                    (int) EPOLL_PWAIT.invokeExact(state, epfd, events, maxEvents, timeoutMillis, MemorySegment.NULL), state);
            if (Narrator.ENABLED) Narrator.epollPwait(epfd, events, maxEvents, timeoutMillis, r);
            return r;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
