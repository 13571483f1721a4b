package dev.ffmecho.poll;

/**
 * Go's {@code runtime.pollDesc} (runtime/netpoll.go) reduced to what a thread that runs its own
 * scheduler needs: which fd, which registration (seq), and the two readiness flags {@code rg}/{@code wg}.
 *
 * <p>A flag is set when epoll reports the fd ready for that mode and nobody has consumed it yet
 * ({@code pdReady} in Go), cleared when an operation starts ({@code pollReset}) and consumed by a
 * waiter ({@code netpollblock}). Edge-triggered epoll reports each edge once, so a readiness seen
 * while nobody waits must be remembered, not dropped. All fields are guarded by the owning
 * {@link Netpoller}'s lock.
 */
public final class PollDesc {
    /** Go's mode characters: {@code 'r'} read (and accept), {@code 'w'} write. */
    public static final int READ = 'r';
    public static final int WRITE = 'w';

    final int fd;
    /** Which registration of {@code fd} this is; stale epoll events carry an older seq. */
    final int seq;
    private boolean readReady;
    private boolean writeReady;
    /** The thread parked until this fd is ready for read / write ({@code rg}/{@code wg} holding a g in Go). */
    private Thread readWaiter;
    private Thread writeWaiter;

    PollDesc(int fd, int seq) {
        this.fd = fd;
        this.seq = seq;
    }

    /** {@code poll_runtime_pollReset}: forget readiness seen before this operation started. */
    void reset(int mode) {
        if (mode == READ) readReady = false;
        else writeReady = false;
    }

    /**
     * {@code netpollready}: epoll reported {@code mode}; the thread parked for it, if any, stops
     * being its waiter. Returns that thread, for the poller to wake once it has released its lock,
     * or null.
     */
    Thread ready(int mode) {
        Thread waiter;
        if (mode == READ) {
            readReady = true;
            waiter = readWaiter;
            readWaiter = null;
        } else {
            writeReady = true;
            waiter = writeWaiter;
            writeWaiter = null;
        }
        return waiter;
    }

    Thread waiter(int mode) {
        return mode == READ ? readWaiter : writeWaiter;
    }

    void waiter(int mode, Thread t) {
        if (mode == READ) readWaiter = t;
        else writeWaiter = t;
    }

    /** {@code netpollblock}'s fast path: take a readiness that is already there. */
    boolean consume(int mode) {
        boolean was;
        if (mode == READ) {
            was = readReady;
            readReady = false;
        } else {
            was = writeReady;
            writeReady = false;
        }
        return was;
    }

    public int fd() {
        return fd;
    }
}
