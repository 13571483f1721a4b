package dev.ffmecho.trace;

/**
 * One thing strace reported, in the order the parser hands them out (a call at the line where it
 * completed). Only three kinds matter to the network story: system calls, signal deliveries
 * ({@code --- SIGTERM {...} ---}) and thread/process exits ({@code +++ killed by SIGTERM +++}).
 */
public sealed interface TraceEvent permits Syscall, TraceEvent.Signal, TraceEvent.Exit {

    /** Thread id from the {@code -f} prefix; 0 when the line had none. */
    int pid();

    /** 1-based source line of the event (for a joined call: where it completed). */
    int line();

    /** {@code --- SIGTERM {si_signo=SIGTERM, ...} ---}: a signal delivered to {@code pid}. */
    record Signal(int pid, String signal, int line, String raw) implements TraceEvent {}

    /**
     * {@code +++ exited with 0 +++} or {@code +++ killed by SIGTERM +++}: {@code killedBy} is the
     * signal name for the latter, null for a normal exit.
     */
    record Exit(int pid, String killedBy, int line, String raw) implements TraceEvent {}
}
