package dev.ffmecho.server;

import dev.ffmecho.net.Profile;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.net.TCPConn;
import dev.ffmecho.net.TCPListener;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.poll.Splice;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SyscallException;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The study program, in Java: listen, then forever {@code Accept}, print {@code "."},
 * {@code io.Copy(conn, conn)} until EOF, one connection at a time — and, unlike the study program,
 * {@code conn.Close()} afterwards.
 *
 * <p>{@link #stop} may be called from another thread (a signal handler): it stops accepting at
 * once, lets the connection in progress finish for {@link #DRAIN_MILLIS}, then shuts its read side
 * so the echo ends after writing back what was already read. {@link #serve} then returns normally.
 */
public final class SequentialServer {
    /** How long a connection in progress may go on after {@link #stop}. */
    public static final long DRAIN_MILLIS = 2000;
    /** net/http's accept back-off: 5 ms, doubling, capped at 1 s. */
    private static final long MIN_BACKOFF_MILLIS = 5;
    private static final long MAX_BACKOFF_MILLIS = 1000;

    private final Profile profile;
    private final TCPAddr laddr;
    private final boolean quiet;
    private final PrintStream out;
    private final PrintStream err;

    private final Object lock = new Object();
    private volatile boolean stopping;
    private TCPListener listener; // guarded by lock: stop() may shut it down, serve() closes it
    private TCPConn active;       // guarded by lock

    public SequentialServer(Profile profile, TCPAddr laddr, boolean quiet, PrintStream out, PrintStream err) {
        this.profile = profile;
        this.laddr = laddr;
        this.quiet = quiet;
        this.out = out;
        this.err = err;
    }

    /**
     * Listens and serves until {@link #stop}. Errors before the first accept (bind, listen) are
     * thrown; errors on one connection are reported on stderr and the server goes on.
     * @param onListening called once with the bound address, before the first accept
     */
    public void serve(java.util.function.Consumer<TCPAddr> onListening) throws IOException {
        try (Netpoller poller = new Netpoller(profile.poller); Splice splice = new Splice();
             Arena buffers = Arena.ofConfined()) {
            MemorySegment buf = buffers.allocate(Copy.BUFFER_SIZE);
            TCPListener ln = TCPListener.listen(profile, laddr, poller);
            synchronized (lock) {
                listener = ln;
            }
            try {
                onListening.accept(ln.addr());
                acceptLoop(ln, buf, splice);
            } finally {
                synchronized (lock) {
                    listener = null;
                    ln.close();
                }
            }
        }
    }

    private void acceptLoop(TCPListener ln, MemorySegment buf, Splice splice) throws SyscallException {
        long backoff = 0;
        while (!stopping) {
            TCPConn conn;
            try {
                conn = ln.accept();
                backoff = 0;
            } catch (SyscallException e) {
                if (stopping) return; // woken by stop(): accept4 fails with EINVAL
                if (!isTemporary(e)) throw e;
                backoff = backoff == 0 ? MIN_BACKOFF_MILLIS : Math.min(2 * backoff, MAX_BACKOFF_MILLIS);
                err.println("ffm-echo: " + e.getMessage() + "; retrying in " + backoff + "ms");
                sleep(backoff);
                continue;
            }
            if (!quiet) {
                out.print('.');
                out.flush();
            }
            echo(conn, buf, splice);
        }
    }

    private void echo(TCPConn conn, MemorySegment buf, Splice splice) {
        synchronized (lock) {
            active = conn;
        }
        try {
            Copy.copy(conn, conn, buf, splice);
        } catch (IOException e) {
            err.println("ffm-echo: connection from " + conn.remoteAddr() + ": " + e.getMessage());
        } finally {
            synchronized (lock) {
                active = null;
                try {
                    conn.close();
                } catch (SyscallException e) {
                    err.println("ffm-echo: connection from " + conn.remoteAddr() + ": " + e.getMessage());
                }
            }
        }
    }

    /** Accept errors that mean "out of something for now", as net/http treats them. */
    private static boolean isTemporary(SyscallException e) {
        int errno = e.errno();
        return errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM;
    }

    /** Stops accepting now; the connection in progress gets {@link #DRAIN_MILLIS} to finish. */
    public void stop() {
        stopping = true;
        synchronized (lock) {
            if (listener != null) listener.shutdown();
        }
        Thread.ofPlatform().daemon().name("ffm-echo-drain").start(() -> {
            sleep(DRAIN_MILLIS);
            synchronized (lock) {
                if (active != null) active.shutdownRead();
            }
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
