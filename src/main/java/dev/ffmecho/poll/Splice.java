package dev.ffmecho.poll;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * go1.19 internal/poll/splice_linux.go: {@code io.Copy} between two sockets without the bytes ever
 * entering user space — socket → pipe → socket with splice(2), through a pipe from a pool.
 *
 * <p>Go's pool is a {@code sync.Pool} of {@code pipe2(O_CLOEXEC|O_NONBLOCK)} pipes; the first pipe
 * Go ever makes is also checked with {@code fcntl(F_GETPIPE_SZ)} (kernels before 2.6.35 lack it and
 * return EAGAIN instead of 0 at EOF, so splice is then disabled). A pipe that still holds data after
 * a transfer is closed instead of pooled. Here the pool lives as long as this object; it is not
 * emptied by a GC as Go's is, so a second connection reuses the first one's pipe, as Go's does
 * when no GC ran in between.
 */
public final class Splice implements AutoCloseable {
    private record Pipe(int rfd, int wfd) {}

    /** {@code maxSpliceSize}: the most Go asks one splice to move (go1.19: 4 MiB; go1.23: 1 MiB). */
    private final long maxSpliceSize;
    /**
     * go1.23's {@code newPipe} grows every new pipe to maxSpliceSize with F_SETPIPE_SZ; go1.19's
     * checks F_GETPIPE_SZ once, on the first pipe ever, to detect kernels before 2.6.35.
     */
    private final boolean growPipes;
    private final ReentrantLock poolLock = new ReentrantLock();
    private final ArrayDeque<Pipe> pool = new ArrayDeque<>();      // guarded by poolLock
    private boolean checkedPipeSize;                               // guarded by poolLock
    /** pipe2's two fds, written under this object's lock by {@link #getPipe}: no arena per new pipe. */
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pipeFds = arena.allocate(JAVA_INT, 2);

    public Splice(long maxSpliceSize, boolean growPipes) {
        this.maxSpliceSize = maxSpliceSize;
        this.growPipes = growPipes;
    }

    /**
     * What {@link #copy} returns when it found no pipe: Go's {@code Splice} then reports
     * {@code handled == false} and {@code TCPConn.ReadFrom} copies through a buffer instead.
     */
    public static final long NOT_HANDLED = -1;

    /**
     * {@code poll.Splice(dst, src, remain)} with remain unbounded, as {@code TCPConn.ReadFrom}
     * calls it for {@code io.Copy}: drain up to 4 MiB into the pipe, pump it all out, until EOF.
     * @return bytes copied, or {@link #NOT_HANDLED} when no pipe could be made
     */
    @GoFunction(value = "internal/poll.Splice", note = "12-go-versions.md")
    public long copy(FD dst, FD src) throws SyscallException {
        Pipe p = getPipe();
        if (p == null) return NOT_HANDLED;
        long written = 0;
        long data = 0; // bytes in the pipe not yet pumped out
        try {
            while (true) {
                long inPipe = src.spliceIntoPipe(p.wfd, maxSpliceSize);
                if (inPipe == 0) break;
                data += inPipe;
                long n = dst.spliceFromPipe(p.rfd, inPipe);
                written += n;
                data -= n;
            }
        } finally {
            putPipe(p, data);
        }
        return written;
    }

    /**
     * {@code getPipe} / {@code newPipe}, or null when pipe2 fails (out of fds, say): go1.19's
     * {@code newPoolPipe} "discard[s] the error … redirecting the data transmission to the
     * conventional way utilizing read() + write() as a fallback" (internal/poll/splice_linux.go).
     * Only pool access is locked: transfers run in parallel. The lock is a {@link ReentrantLock},
     * not a monitor: the callers are virtual threads, and pipe2 and fcntl run under it (they share
     * {@code pipeFds}); a virtual thread blocked on a monitor pins its carrier on JDK 22 and 23.
     */
    private Pipe getPipe() throws SyscallException {
        poolLock.lock();
        try {
            Pipe p = pool.poll();
            if (p != null) return p;
            if (Unistd.pipe2(pipeFds, Unistd.O_CLOEXEC | Unistd.O_NONBLOCK) < 0) return null;
            p = new Pipe(pipeFds.get(JAVA_INT, 0), pipeFds.get(JAVA_INT, 4));
            if (growPipes) {
                Unistd.fcntl(p.rfd, Unistd.F_SETPIPE_SZ, (int) maxSpliceSize); // Go ignores its error
            } else if (!checkedPipeSize) {
                checkedPipeSize = true;
                Errno.check("fcntl", Unistd.fcntl(p.rfd, Unistd.F_GETPIPE_SZ, 0));
            }
            return p;
        } finally {
            poolLock.unlock();
        }
    }

    /** {@code putPipe}: back into the pool, unless data is stranded in it (then closed, outside the lock). */
    private void putPipe(Pipe p, long data) {
        if (data != 0) {
            destroy(p);
            return;
        }
        poolLock.lock();
        try {
            pool.push(p);
        } finally {
            poolLock.unlock();
        }
    }

    private static void destroy(Pipe p) {
        Unistd.close(p.rfd);
        Unistd.close(p.wfd);
    }

    /** Closes the pooled pipes (Go's finalizers would, eventually). */
    @Override
    public void close() {
        poolLock.lock();
        try {
            while (!pool.isEmpty()) destroy(pool.pop());
            if (arena.scope().isAlive()) arena.close();
        } finally {
            poolLock.unlock();
        }
    }
}
