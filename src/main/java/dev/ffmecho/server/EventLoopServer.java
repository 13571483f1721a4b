package dev.ffmecho.server;

import dev.ffmecho.loop.Dispatcher;
import dev.ffmecho.loop.EventLoop;
import dev.ffmecho.loop.Io;
import dev.ffmecho.loop.Trigger;
import dev.ffmecho.net.Profile;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.net.TCPListener;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * {@code --mode eventloop}: the throughput mode. N {@link EventLoop}s, each on its own thread with
 * its own backend ({@code --io epoll|io_uring}) and the connections it serves, so a connection
 * lives and dies on one thread. This class is policy only: it opens the listeners, says how
 * accepted connections reach the loops ({@link Acceptor}), and applies the same {@link Lifecycle}
 * as the other modes (admission, back-off, error lines, the drain).
 */
public final class EventLoopServer implements Server, Dispatcher {

    /** How accepted connections are spread over the loops ({@code --accept}). */
    public enum Acceptor {
        /** Every loop has its own SO_REUSEPORT listener: the kernel spreads connections by hash. */
        REUSEPORT,
        /** Loop 0 alone listens and deals connections round-robin, through each loop's inbox and eventfd. */
        SINGLE
    }

    /** The knobs of this mode: loop count, backend, epoll trigger, acceptor. */
    public record Tuning(int loops, Io io, Trigger trigger, Acceptor acceptor) {
        public Tuning {
            if (loops < 1) throw new IllegalArgumentException("loops < 1");
        }
    }

    private final Profile profile;
    private final TCPAddr laddr;
    private final Tuning tuning;
    private final Lifecycle lifecycle;
    private final List<EventLoop> loops = new CopyOnWriteArrayList<>();
    /** One per loop, indexed like {@link #loops}; each used by its loop's thread only. */
    private final List<AcceptBackoff> backoffs = new ArrayList<>();
    /** The next loop {@link Acceptor#SINGLE} deals to; loop 0's thread only. */
    private int nextLoop;
    private volatile boolean stopped;

    public EventLoopServer(Profile profile, TCPAddr laddr, Tuning tuning, int maxConns, boolean quiet,
                           PrintStream out, PrintStream err) {
        this.profile = profile;
        this.laddr = laddr;
        this.tuning = tuning;
        this.lifecycle = new Lifecycle(maxConns, quiet, out, err);
    }

    /** Opens the listeners (all on the first one's port), runs the loops, returns when all have ended. */
    @Override
    public void serve(Consumer<TCPAddr> onListening) throws IOException {
        EventLoop.checkAvailable(tuning.io());
        int listenerCount = tuning.acceptor() == Acceptor.REUSEPORT ? tuning.loops() : 1;
        List<TCPListener> listeners = new ArrayList<>();
        try {
            listeners.add(TCPListener.listenReusePort(profile, laddr));
            TCPAddr bound = listeners.get(0).addr();
            for (int i = 1; i < listenerCount; i++) listeners.add(TCPListener.listenReusePort(profile, bound));
            for (int i = 0; i < tuning.loops(); i++) {
                backoffs.add(new AcceptBackoff());
                loops.add(new EventLoop(i, tuning.io(), tuning.trigger(), i < listenerCount ? listeners.get(i).sysfd() : -1, this));
            }
            onListening.accept(bound);
            runLoops();
        } finally {
            for (EventLoop l : loops) l.release();
            for (TCPListener ln : listeners) ln.close();
        }
        for (EventLoop l : loops) {
            if (l.failure() != null) throw l.failure();
        }
    }

    private void runLoops() {
        List<Thread> threads = new ArrayList<>();
        for (EventLoop l : loops) threads.add(Thread.ofPlatform().name("ffm-echo-loop-" + l.index).start(l));
        if (stopped) stop(); // a stop that came before the loops existed
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
            }
        }
    }

    /** Stops accepting now; connections get {@link Lifecycle#DRAIN_MILLIS} to finish. */
    @Override
    public void stop() {
        stopped = true;
        long deadline = System.nanoTime() + Lifecycle.DRAIN_MILLIS * 1_000_000;
        for (EventLoop l : loops) l.stop(deadline);
    }

    // ---- Dispatcher: called on the loops' threads ----

    @Override
    public void accepted(EventLoop loop, int fd) {
        backoffs.get(loop.index).reset();
        if (!lifecycle.admit()) {
            loop.refuse(fd);
            return;
        }
        if (tuning.acceptor() == Acceptor.REUSEPORT) {
            loop.serve(fd);
            return;
        }
        EventLoop to = loops.get(nextLoop);
        nextLoop = (nextLoop + 1) % loops.size();
        if (to == loop) {
            loop.serve(fd);
        } else {
            to.handOver(fd);
        }
    }

    @Override
    public long acceptFailed(EventLoop loop, IOException e) throws IOException {
        return lifecycle.acceptFailed(e, backoffs.get(loop.index));
    }

    @Override
    public void connectionFailed(EventLoop loop, int fd, IOException e) {
        lifecycle.connectionFailed(loop.describe(fd), e);
    }

    @Override
    public void connectionClosed(EventLoop loop) {
        lifecycle.released();
    }

    @Override
    public void loopFailed(EventLoop loop, IOException e) {
        stop(); // one loop failing ends them all, so serve() returns and reports it
    }
}
