package dev.ffmecho.server;

import dev.ffmecho.net.AcceptErrors;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every mode shares between accept and close, so that each mode only says how it dispatches:
 * admission under {@code --max-conns} and the dot per connection, what a failed accept does
 * (accept the next at once, back off, or give up), and the wording of every error line.
 * Thread-safe.
 */
final class Lifecycle {
    /** How long connections in progress may go on after a stop (SIGTERM). */
    static final long DRAIN_MILLIS = 2000;

    private final int maxConns;
    private final boolean quiet;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicInteger active = new AtomicInteger();

    /** @param maxConns connections served at once beyond which new ones are closed at once (0: no limit) */
    Lifecycle(int maxConns, boolean quiet, PrintStream out, PrintStream err) {
        this.maxConns = maxConns;
        this.quiet = quiet;
        this.out = out;
        this.err = err;
    }

    /**
     * A connection was accepted: true (and its dot printed, the study program's
     * {@code fmt.Print(".")}) when it is to be served, false when {@code --max-conns} are being
     * served already and it is to be closed at once. Each true is paired with one {@link #released}.
     */
    boolean admit() {
        for (int n = active.get(); ; n = active.get()) {
            if (maxConns > 0 && n >= maxConns) return false;
            if (active.compareAndSet(n, n + 1)) break;
        }
        if (!quiet) {
            synchronized (out) {
                out.print('.');
                out.flush();
            }
        }
        return true;
    }

    /** An admitted connection has been closed. */
    void released() {
        active.decrementAndGet();
    }

    /**
     * accept failed with {@code e}: 0 to accept the next connection at once (the failed one's own
     * error), else how many milliseconds to wait (out of fds or memory), each reported on stderr.
     * @throws IOException {@code e} itself, when the listener is broken
     */
    long acceptFailed(IOException e, AcceptBackoff backoff) throws IOException {
        if (AcceptErrors.isConnectionError(e)) {
            // The study program: fmt.Fprintln(os.Stderr, err); continue — the next Accept is the
            // next accept4, at once.
            err.println("ffm-echo: " + e.getMessage() + "; accepting the next connection");
            return 0;
        }
        if (!AcceptErrors.isTemporary(e)) throw e;
        long wait = backoff.next();
        err.println("ffm-echo: " + e.getMessage() + "; retrying in " + wait + "ms");
        return wait;
    }

    /** One connection failed; the server goes on. {@code which}: "from [::1]:4242", "fd 7 (loop 0)". */
    void connectionFailed(String which, IOException e) {
        err.println("ffm-echo: connection " + which + ": " + e.getMessage());
    }
}
