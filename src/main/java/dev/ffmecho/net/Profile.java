package dev.ffmecho.net;

import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.poll.Splice;

/**
 * Which Go's syscalls to reproduce. Every difference between the versions is a field
 * here, named for what it does and documented with the Go source it comes from, so that the code
 * that runs the calls ({@link NetInit}, {@link NetFD}, {@link TCPListener}, {@link TCPConn}) asks
 * the profile instead of knowing versions. The order of the steps is Go's order, which the two
 * versions share once these choices are made.
 */
public enum Profile {
    /** The study note's Go (2016): its trace is the reference. */
    GO1_6(new Traits("go1.6").eagerPackageInit().somaxconnBuffer(4096).soBroadcast()
            .keepAlive(KeepAlive.NONE).poller(Netpoller.Flavor.GO1_6)),
    /** Debian bookworm's Go (1.19.8): its reference is captured live by the test suite. */
    GO1_19(new Traits("go1.19").probeWithSysSocket().somaxconnBuffer(64 * 1024).somaxconnThroughPoller()
            .keepAlive(KeepAlive.INTERVAL_THEN_IDLE).maxSpliceSize(4 << 20).poller(Netpoller.Flavor.GO1_19)),
    /** bookworm-backports' Go (1.23.5): captured live too, where it is installed. */
    GO1_23(new Traits("go1.23").probeWithSysSocket().somaxconnBuffer(64 * 1024).somaxconnThroughPoller()
            .somaxconnNonblockFirst().keepAlive(KeepAlive.IDLE_INTERVAL_COUNT).maxSpliceSize(1 << 20)
            .growSplicePipes().poller(Netpoller.Flavor.GO1_23));

    /**
     * A version's choices, named where each constant is declared (every flag off unless named;
     * the fields below document each one).
     */
    private static final class Traits {
        final String id;
        boolean eagerPackageInit;
        boolean probeWithSysSocket;
        int somaxconnBuffer;
        boolean somaxconnThroughPoller;
        boolean somaxconnNonblockFirst;
        boolean soBroadcast;
        KeepAlive keepAlive = KeepAlive.NONE;
        long maxSpliceSize;
        boolean growSplicePipes;
        Netpoller.Flavor poller;

        Traits(String id) {
            this.id = id;
        }

        Traits eagerPackageInit() { eagerPackageInit = true; return this; }
        Traits probeWithSysSocket() { probeWithSysSocket = true; return this; }
        Traits somaxconnBuffer(int bytes) { somaxconnBuffer = bytes; return this; }
        Traits somaxconnThroughPoller() { somaxconnThroughPoller = true; return this; }
        Traits somaxconnNonblockFirst() { somaxconnNonblockFirst = true; return this; }
        Traits soBroadcast() { soBroadcast = true; return this; }
        Traits keepAlive(KeepAlive style) { keepAlive = style; return this; }
        Traits maxSpliceSize(long bytes) { maxSpliceSize = bytes; return this; }
        Traits growSplicePipes() { growSplicePipes = true; return this; }
        Traits poller(Netpoller.Flavor flavor) { poller = flavor; return this; }
    }

    /** The keep-alive options set on accepted conns, in Go's order. */
    enum KeepAlive {
        /** go1.6: none. */
        NONE,
        /**
         * go1.19 {@code (*TCPListener).accept} (net/tcpsock_posix.go): {@code setKeepAlive(fd, true)},
         * then {@code setKeepAlivePeriod(fd, 15s)}: TCP_KEEPINTVL, then TCP_KEEPIDLE (net/tcpsockopt_unix.go).
         */
        INTERVAL_THEN_IDLE,
        /**
         * go1.23 {@code newTCPConn} with the default {@code KeepAliveConfig} (net/tcpsock.go):
         * SO_KEEPALIVE, TCP_KEEPIDLE 15, TCP_KEEPINTVL 15, TCP_KEEPCNT 9 (net/tcpsockopt_unix.go).
         */
        IDLE_INTERVAL_COUNT
    }

    /** The name on the command line ({@code --profile go1.19}). */
    public final String id;
    /**
     * go1.6 reads somaxconn and probes the IP stacks in the net package's initialization, before
     * main (net/net.go:341 {@code var listenerBacklog = maxListenerBacklog()}, net/net.go:97-101
     * {@code init}). go1.19 does both lazily, once, when first needed (net/net.go
     * {@code listenerBacklog()} with a sync.Once; net/ipsock.go {@code ipStackCaps.Once}).
     */
    final boolean eagerPackageInit;
    /**
     * go1.19's probes make their sockets with {@code sysSocket}, i.e. SOCK_NONBLOCK|SOCK_CLOEXEC
     * (net/ipsock_posix.go {@code (*ipStackCapabilities).probe}); go1.6's use plain {@code socketFunc}.
     */
    final boolean probeWithSysSocket;
    /**
     * The buffer {@code readLine} fills: {@code os.Getpagesize()} in go1.6 (net/parse.go {@code open}),
     * 64 KiB in go1.19 — hence {@code read(fd, …, 65536)} in its trace.
     */
    final int somaxconnBuffer;
    /**
     * go1.19's {@code os.Open} registers every file it can with the netpoller (os/file_unix.go
     * {@code newFile}: {@code pfd.Init("file", true)} then {@code SetNonblock}), so reading
     * somaxconn creates the epoll fd, adds the file, sets O_NONBLOCK, and deletes it on close.
     */
    final boolean somaxconnThroughPoller;
    /**
     * go1.23's {@code newFile} sets O_NONBLOCK before {@code pfd.Init} registers the file (so the
     * fcntls come before the epoll fd is even created); go1.19's after (os/file_unix.go).
     */
    final boolean somaxconnNonblockFirst;
    /** go1.6 sets SO_BROADCAST on every socket (net/sockopt_linux.go {@code setDefaultSockopts}); go1.19 only on UDP and raw sockets. */
    final boolean soBroadcast;
    /** Keep-alive on accepted conns, see {@link KeepAlive}. */
    final KeepAlive keepAlive;
    /**
     * {@code io.Copy(conn, conn)}: go1.19+'s {@code TCPConn.ReadFrom} splices through a pipe
     * (net/splice_linux.go, internal/poll/splice_linux.go) at most {@code maxSpliceSize} bytes per
     * call (4 MiB in 1.19, 1 MiB in 1.23); 0 for go1.6, which reads and writes 32 KiB at a time.
     */
    final long maxSpliceSize;
    /** go1.23 grows each new splice pipe with F_SETPIPE_SZ; go1.19 checks F_GETPIPE_SZ once. */
    final boolean growSplicePipes;
    /** The runtime's netpoller. */
    public final Netpoller.Flavor poller;

    Profile(Traits t) {
        this.id = t.id;
        this.eagerPackageInit = t.eagerPackageInit;
        this.probeWithSysSocket = t.probeWithSysSocket;
        this.somaxconnBuffer = t.somaxconnBuffer;
        this.somaxconnThroughPoller = t.somaxconnThroughPoller;
        this.somaxconnNonblockFirst = t.somaxconnNonblockFirst;
        this.soBroadcast = t.soBroadcast;
        this.keepAlive = t.keepAlive;
        this.maxSpliceSize = t.maxSpliceSize;
        this.growSplicePipes = t.growSplicePipes;
        this.poller = t.poller;
    }

    /** The runtime's netpoller for this Go version. */
    public Netpoller newNetpoller() {
        return new Netpoller(poller);
    }

    /** The splice pipe pool for this Go version (unused by go1.6, which does not splice). */
    public Splice newSplice() {
        return new Splice(Math.max(maxSpliceSize, 1), growSplicePipes);
    }

    /**
     * Whether {@code io.Copy(conn, conn)} moves the bytes through a user buffer: go1.6's
     * {@code genericReadFrom} (read/write of 32 KiB), not go1.19+'s splice through a pipe.
     */
    public boolean copiesThroughBuffer() {
        return maxSpliceSize == 0;
    }

    /** The profile named {@code id}, or null. */
    public static Profile of(String id) {
        for (Profile p : values()) if (p.id.equals(id)) return p;
        return null;
    }
}
