package dev.ffmecho.server;

import dev.ffmecho.net.Profile;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.net.TCPConn;
import dev.ffmecho.net.TCPListener;
import dev.ffmecho.poll.CopyBuffer;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.poll.Splice;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The echo server in its two Go shapes. Both listen, then forever {@code Accept}, print
 * {@code "."} and {@code io.Copy(conn, conn)} until EOF, then {@code conn.Close()}:
 * <ul>
 *   <li>{@link Mode#SEQUENTIAL} — the study program: the copy runs in the accepting thread, one
 *       connection at a time.</li>
 *   <li>{@link Mode#GOROUTINE} — Go's concurrent shape, {@code go handle(conn)}: a virtual thread
 *       per connection. A thread that gets EAGAIN parks; the {@link Netpoller} is driven by whichever
 *       waiting thread holds its poller role, as Go's idle M does.</li>
 * </ul>
 * {@link #stop} may be called from another thread (a signal handler): it stops accepting at once,
 * lets connections in progress finish for {@link Lifecycle#DRAIN_MILLIS}, then shuts them down (SHUT_RDWR),
 * which ends every echo, even one stuck writing to a client that never reads. {@link #serve} then returns normally, with
 * every fd closed and native memory freed.
 */
public final class EchoServer implements Server {
    public enum Mode { SEQUENTIAL, GOROUTINE }

    private final Profile profile;
    private final Mode mode;
    private final TCPAddr laddr;
    private final Lifecycle lifecycle;

    private final Object lock = new Object();
    private volatile boolean stopping;
    private TCPListener listener;                          // guarded by lock: stop() shuts it down, serve() closes it
    private final Set<TCPConn> active = new LinkedHashSet<>(); // guarded by lock: what the drain shuts down
    private int handlers;                                  // guarded by lock: goroutine-mode handlers not yet ended
    /** Makes each connection's virtual thread, unnamed (see {@link Handler}); thread-safe. */
    private final ThreadFactory handlerThreads = Thread.ofVirtual().factory();

    /** @param maxConns connections served at once beyond which new ones are closed at once (0: no limit) */
    public EchoServer(Profile profile, Mode mode, TCPAddr laddr, int maxConns, boolean quiet, PrintStream out, PrintStream err) {
        this.profile = profile;
        this.mode = mode;
        this.laddr = laddr;
        this.lifecycle = new Lifecycle(maxConns, quiet, out, err);
    }

    /**
     * Listens and serves until {@link #stop}. Errors before the first accept (bind, listen) are
     * thrown; errors on one connection are reported on stderr and the server goes on.
     * @param onListening called once with the bound address, before the first accept
     */
    @Override
    public void serve(Consumer<TCPAddr> onListening) throws IOException {
        try (Netpoller poller = profile.newNetpoller(); Splice splice = profile.newSplice();
             Arena buffers = Arena.ofConfined()) {
            MemorySegment buf = buffers.allocate(Copy.BUFFER_SIZE); // the sequential mode's one buffer
            TCPListener ln = TCPListener.listen(profile, laddr, poller);
            synchronized (lock) {
                listener = ln;
            }
            try {
                onListening.accept(ln.addr());
                if (mode == Mode.SEQUENTIAL) {
                    acceptLoop(ln, buf, splice);
                } else {
                    acceptOnAGoroutine(ln, splice);
                }
                awaitHandlers();
            } finally {
                synchronized (lock) {
                    listener = null;
                    ln.close();
                }
            }
        }
    }

    /**
     * Goroutine mode: the accept loop runs on a virtual thread too, as Go's main goroutine does, so
     * that every wait goes through the netpoller's goroutine path and the only blocking poll is the
     * idle M's (a platform thread parked in accept would block in epoll_wait itself and be woken for
     * every connection's event).
     */
    private void acceptOnAGoroutine(TCPListener ln, Splice splice) throws IOException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread main = Thread.ofVirtual().name("accept").start(() -> {
            try {
                acceptLoop(ln, null, splice);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        joinUninterruptibly(main);
        switch (failure.get()) {
            case null -> { }
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable t -> throw new IOException(t);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void acceptLoop(TCPListener ln, MemorySegment buf, Splice splice) throws IOException {
        AcceptBackoff backoff = new AcceptBackoff();
        while (!stopping) {
            TCPConn conn;
            try {
                conn = ln.accept();
                backoff.reset();
            } catch (IOException e) {
                if (stopping) return; // woken by stop(): accept4 fails with EINVAL
                long wait = lifecycle.acceptFailed(e, backoff);
                if (wait > 0) sleep(wait);
                continue;
            }
            if (!admit(conn)) continue;
            if (mode == Mode.SEQUENTIAL) {
                echo(conn, buf, splice);
            } else {
                startHandler(conn, splice);
            }
        }
    }

    /** Registers {@code conn} as active, or closes it when {@code --max-conns} are already served. */
    private boolean admit(TCPConn conn) {
        if (!lifecycle.admit()) {
            closeQuietly(conn);
            return false;
        }
        synchronized (lock) {
            active.add(conn);
        }
        return true;
    }

    /** {@code go handle(conn)}: a virtual thread per connection. */
    private void startHandler(TCPConn conn, Splice splice) {
        Thread t = handlerThreads.newThread(new Handler(conn, splice));
        synchronized (lock) {
            handlers++;
        }
        t.start();
    }

    /**
     * One connection's goroutine: echo, through its own 32 KiB copy buffer when the profile copies
     * (go1.6's {@code genericReadFrom} makes one per copy), through the splice pipes otherwise.
     * <p>What a parked connection holds is what an idle one costs, so this is lean on purpose: a
     * class rather than a lambda (a lambda puts two frames, its proxy's {@code run} and its body, on
     * every parked stack, and a stack frame costs more than the object), no thread name, and no
     * arena unless there is a buffer. The buffer is an anonymous mapping, so an idle connection
     * holds only the pages its bytes have touched, as Go's fresh zeroed spans do.
     */
    private final class Handler implements Runnable {
        private final TCPConn conn;
        private final Splice splice;

        Handler(TCPConn conn, Splice splice) {
            this.conn = conn;
            this.splice = splice;
        }

        @Override
        public void run() {
            try {
                if (!profile.copiesThroughBuffer()) {
                    echo(conn, MemorySegment.NULL, splice);
                } else {
                    echoThroughOwnBuffer();
                }
            } finally {
                synchronized (lock) {
                    handlers--;
                    lock.notifyAll();
                }
            }
        }

        private void echoThroughOwnBuffer() {
            try (Arena arena = Arena.ofConfined()) {
                echo(conn, CopyBuffer.map(arena, Copy.BUFFER_SIZE), splice);
            } catch (IOException e) {
                lifecycle.connectionFailed("from " + conn.remoteAddr(), e);
                retire(conn);
            }
        }
    }

    private void echo(TCPConn conn, MemorySegment buf, Splice splice) {
        try {
            Copy.copy(conn, conn, buf, splice);
        } catch (IOException e) {
            lifecycle.connectionFailed("from " + conn.remoteAddr(), e);
        } finally {
            retire(conn);
        }
    }

    /** The connection is done: no longer active, and closed (Go's conn.Close). */
    private void retire(TCPConn conn) {
        synchronized (lock) {
            active.remove(conn); // out of the drain's reach before its fd is closed (and maybe reused)
        }
        closeQuietly(conn); // outside the monitor: a virtual thread in a syscall must not hold one (JDK 22-23 pin it)
        lifecycle.released();
    }

    private void closeQuietly(TCPConn conn) {
        try {
            conn.close();
        } catch (IOException e) {
            lifecycle.connectionFailed("from " + conn.remoteAddr(), e);
        }
    }

    /** After the accept loop: the handlers finish (stop() bounds how long), before the poller closes. */
    private void awaitHandlers() {
        synchronized (lock) {
            while (handlers > 0) {
                try {
                    lock.wait(TimeUnit.SECONDS.toMillis(1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void stop() {
        stopping = true;
        synchronized (lock) {
            if (listener != null) listener.shutdown();
        }
        Thread.ofPlatform().daemon().name("ffm-echo-drain").start(() -> {
            sleep(Lifecycle.DRAIN_MILLIS);
            synchronized (lock) {
                for (TCPConn c : active) c.shutdown();
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
