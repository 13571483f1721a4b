package dev.ffmecho.cli;

import dev.ffmecho.net.NetInit;
import dev.ffmecho.net.Profile;
import dev.ffmecho.net.Resolver;
import dev.ffmecho.net.TCPAddr;
import dev.ffmecho.flags.UsageException;
import dev.ffmecho.loop.Io;
import dev.ffmecho.loop.IoUnavailableException;
import dev.ffmecho.loop.Trigger;
import dev.ffmecho.server.EchoServer;
import dev.ffmecho.server.EventLoopServer;
import dev.ffmecho.server.Server;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.Narrator;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.trace.TraceDiffCommand;
import dev.ffmecho.verify.VerifyCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ffm-echo [serve] [flags]}, {@code ffm-echo trace-diff …}, {@code ffm-echo verify …}, {@code --help},
 * {@code --version}. Exit status: 0 success, 1 trace-diff or verify found a difference, 2 bad input or a
 * failure to start.
 */
public final class Main {
    static final int EXIT_BAD_INPUT = 2;

    private Main() {}

    public static void main(String[] args) {
        int status = run(Arrays.asList(args), System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            switch (args.getFirst()) {
                case "--help", "-h", "help" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "--version" -> {
                    out.println("ffm-echo " + version() + " (Java " + Runtime.version() + ", java.lang.foreign)");
                    return 0;
                }
                case "trace-diff" -> {
                    return TraceDiffCommand.run(args.subList(1, args.size()), out, err);
                }
                case "verify" -> {
                    return VerifyCommand.run(args.subList(1, args.size()), out, err);
                }
                case "serve" -> args = args.subList(1, args.size());
                default -> { }
            }
        }
        try {
            return serve(ServeOptions.parse(args), out, err);
        } catch (UsageException e) {
            err.println("ffm-echo: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
    }

    private static int serve(ServeOptions options, PrintStream out, PrintStream err) throws UsageException {
        if (!Main.class.getModule().isNativeAccessEnabled()) {
            throw new UsageException("native access is not enabled: run java --enable-native-access=ALL-UNNAMED -jar ffm-echo.jar "
                    + "(java -jar enables it through the jar's manifest)");
        }
        EchoServer.Mode mode = options.mode().equals("goroutine") ? EchoServer.Mode.GOROUTINE : EchoServer.Mode.SEQUENTIAL;
        Profile profile = Profile.of(options.profile());
        if (options.narrate()) {
            // Read once by Narrator's static initializer, so it must be set before any sys class
            // loads: nothing before this line touches the sys package.
            System.setProperty(Narrator.PROPERTY, "true");
        }
        // Go runs its net package init before main (go1.6 reads somaxconn and probes there); so do we.
        NetInit.packageInit(profile);
        TCPAddr laddr;
        try {
            laddr = Resolver.resolveTCPAddr(options.listen());
        } catch (Resolver.AddressException e) {
            throw new UsageException("--listen " + e.getMessage());
        }
        int procs = mode == EchoServer.Mode.GOROUTINE ? setCarriers(options.procs()) : 0;
        if (!options.quiet()) {
            if (procs > 0) out.println("--> goroutines on " + procs + " carrier thread" + (procs == 1 ? "" : "s") + " (--procs, Go's GOMAXPROCS)");
            out.println("--> binding to " + options.listen());
            out.flush();
        }
        boolean[] listening = {false};
        try {
            int loops = options.loops() > 0 ? options.loops() : Runtime.getRuntime().availableProcessors();
            Server server = options.mode().equals("eventloop")
                    ? new EventLoopServer(profile, laddr, new EventLoopServer.Tuning(loops,
                            Io.valueOf(options.io().toUpperCase(java.util.Locale.ROOT)),
                            Trigger.valueOf(options.trigger().toUpperCase(java.util.Locale.ROOT)),
                            EventLoopServer.Acceptor.valueOf(options.accept().toUpperCase(java.util.Locale.ROOT))),
                            options.maxConns(), options.quiet(), out, err)
                    : new EchoServer(profile, mode, laddr, options.maxConns(), options.quiet(), out, err);
            Signals.onTerminate(server::stop);
            server.serve(bound -> listening[0] = true);
            return 0;
        } catch (IoUnavailableException e) {
            err.println("ffm-echo: --io " + options.io() + " cannot run here: " + e.getMessage() + "; use --io epoll");
            return EXIT_BAD_INPUT;
        } catch (SyscallException e) {
            if (listening[0]) {
                err.println("ffm-echo: " + e.getMessage());
                return 1;
            }
            err.println("ffm-echo: listen " + laddr + ": " + e.getMessage() + hint(e, laddr));
            return EXIT_BAD_INPUT;
        } catch (IOException e) {
            err.println("ffm-echo: " + e.getMessage());
            return 1;
        }
    }

    /** The JDK's property for the virtual-thread scheduler's parallelism: its carrier threads. */
    static final String CARRIERS_PROPERTY = "jdk.virtualThreadScheduler.parallelism";

    /**
     * Goroutine mode's GOMAXPROCS: {@code --procs}, else a {@code -D} the user gave the JVM, else the
     * CPUs this process may use (Go's default, runtime.ncpu from sched_getaffinity, which is what
     * availableProcessors reads too). The scheduler reads the property when the first virtual thread
     * starts, and nothing before serve starts one.
     * @return the number of carrier threads
     */
    private static int setCarriers(int procs) throws UsageException {
        if (procs > 0) {
            System.setProperty(CARRIERS_PROPERTY, Integer.toString(procs));
            return procs;
        }
        String given = System.getProperty(CARRIERS_PROPERTY);
        if (given == null) return Runtime.getRuntime().availableProcessors();
        try {
            return Integer.parseInt(given.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("-D" + CARRIERS_PROPERTY + "=" + given + " is not a number; give --procs N instead");
        }
    }

    /** The fix for the failures a user can cause at listen time. */
    private static String hint(SyscallException e, TCPAddr laddr) {
        return switch (e.errno()) {
            case Errno.EADDRINUSE -> "; port " + laddr.port() + " is taken by another process: stop it or choose another port";
            case Errno.EACCES -> "; ports below 1024 need root or CAP_NET_BIND_SERVICE: choose a port from 1024 up";
            case Errno.EADDRNOTAVAIL -> "; that address is not on any local interface: use 127.0.0.1, ::1 or an empty host";
            case Errno.EAFNOSUPPORT -> "; this kernel has no support for that address family: try the other one";
            default -> "";
        };
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    static final String USAGE = """
            ffm-echo: a TCP echo server whose every socket call is a Java FFM downcall into libc,
            syscall for syscall the twin of Go's net package under strace.

            usage:
              ffm-echo [serve] [--listen [HOST]:PORT] [--profile go1.6|go1.19|go1.23]
                               [--mode sequential|goroutine|eventloop] [--loops N] [--io epoll|io_uring]
                               [--trigger level|edge] [--accept reuseport|single] [--procs N] [--max-conns N]
                               [--quiet] [--narrate]
              ffm-echo trace-diff ACTUAL [--reference go1.6|NAME|FILE] [--html OUT.html] [--explain] [--side-by-side]
                                 [--normalized] [--concurrent]
              ffm-echo verify [--profile go1.6|go1.19|go1.23] [--mode sequential|goroutine]
                              [--clients serial|back-to-back|concurrent[=N]] [--go PATH] [--html OUT.html] [--keep DIR]
              ffm-echo --help | --version

            serve (the default command):
              --listen [HOST]:PORT  address to listen on (default :10020). An empty HOST listens
                                    dual-stack on :: as Go does; 127.0.0.1 listens IPv4 only; [::1] IPv6.
              --profile P           which Go's syscalls to reproduce: go1.6 (default, the study
                                    note's), go1.19 (Debian's Go: lazy somaxconn, epoll_pwait,
                                    keep-alive, splice) or go1.23 (eventfd wake-up, TCP_KEEPCNT)
              --mode M              sequential: one connection at a time, the study program (default);
                                    goroutine: a virtual thread per connection, Go's concurrent shape;
                                    eventloop: N event-loop threads, the throughput mode
              --loops N             event-loop threads (eventloop mode; default: the number of CPUs)
              --io B                eventloop: epoll (default; readiness, then read and write) or
                                    io_uring (submit and reap: multishot accept and recv, provided
                                    buffers; Linux 6.0 or newer)
              --trigger T           eventloop with epoll: level (default; one read per wakeup) or edge (Go's
                                    EPOLLET registration; read until EAGAIN)
              --accept A            eventloop: reuseport (default; a SO_REUSEPORT listener per loop)
                                    or single (loop 0 accepts and deals connections round-robin)
              --procs N             goroutine mode: carrier threads that run the connections' virtual
                                    threads, Go's GOMAXPROCS (default: the CPUs this process may use)
              --max-conns N         close new connections at once while N are being served
              --quiet               print neither "--> binding to" nor a "." per connection
              --narrate             print each syscall to stderr as strace shows it, with the Go
                                    function it mirrors and the native-notes/ file that explains it;
                                    with io_uring, also each request submitted and completion reaped
              SIGINT/SIGTERM stop accepting, let the connection in progress finish, and exit 0.

            trace-diff: compare `strace -f` output of a run with the Go reference; exit 0 when the
              normalized network syscalls match, 1 when they differ, 2 when the input is unreadable.
              NAME: a live Go capture bundled for verify, PROFILE-MODE-CLIENTS (e.g. go1.19-sequential-serial).

            verify: the whole fidelity check in one command. Runs this jar's server under strace -f, drives it
              with a built-in loopback client, and diffs its trace with Go's: a live capture bundled in the jar,
              or, with --go PATH, the Go twin (the study program for sequential, Go's concurrent server for
              goroutine) built with that go tool and traced the same way. Exit status as trace-diff's.
              --profile, --mode     as for serve (eventloop has no Go twin to compare with)
              --clients C           serial: one client sends "hello" (default for sequential); back-to-back:
                                    three clients of 5 B, 70 000 B and 1 B, one after another; concurrent[=N]:
                                    N clients at once (default 4, the default for goroutine), each 3 x 64 B round
                                    trips then 200 000 B streamed and a half-close. Bundled: serial and
                                    back-to-back for sequential, concurrent=4 for goroutine; others need --go.
              --go PATH             build and trace the Go program with this go tool instead of the bundled capture
              --html OUT.html       as trace-diff's; --keep DIR: keep the traces and the Go build in DIR
              strace is strace on PATH, or FFM_ECHO_STRACE=/path/to/strace.

            example:
              strace -f -o run.strace java --enable-native-access=ALL-UNNAMED -jar ffm-echo.jar &
              printf hello | nc -q1 127.0.0.1 10020; kill %1
              java -jar ffm-echo.jar trace-diff run.strace --explain
            """;
}
