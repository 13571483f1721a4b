package dev.ffmecho.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The JDK's own cost of the hand-off {@link GoroutineBench} makes per message, without ffm-echo:
 * this (platform) thread unparks a parked virtual thread and parks until the virtual thread has
 * run, unparked it back and parked again. Nothing here allocates, so {@code gc.alloc.rate.norm}
 * is what {@code LockSupport.unpark} of a virtual thread (its scheduling on the carrier pool) and
 * its {@code park} (the continuation's yield and thaw) allocate by themselves.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(1)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class VirtualThreadParkBench {
    private Thread self;
    private Thread partner;
    private volatile long rounds;   // written by this thread: the round it asks for
    private volatile long answered; // written by the partner: the last round it saw
    private volatile boolean stop;

    @Setup(Level.Trial)
    public void start() {
        self = Thread.currentThread();
        partner = Thread.ofVirtual().name("jmh-partner").start(() -> {
            while (!stop) {
                long r = rounds;
                if (r != answered) {
                    answered = r;
                    LockSupport.unpark(self);
                }
                LockSupport.park(this);
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        stop = true;
        LockSupport.unpark(partner);
        partner.join(TimeUnit.SECONDS.toMillis(10));
        if (partner.isAlive()) throw new IllegalStateException("the virtual thread did not stop");
    }

    /** One unpark of the virtual thread and one unpark back (park returning early just parks again). */
    @Benchmark
    public long virtualThreadRoundTrip() {
        long target = rounds + 1;
        rounds = target;
        LockSupport.unpark(partner);
        while (answered != target) LockSupport.park(this);
        return target;
    }
}
