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
    GO1_6("go1.6", true, false, 4096, false, false, true, KeepAlive.NONE, 0, false, Netpoller.Flavor.GO1_6),
    /** Debian bookworm's Go (1.19.8): its reference is captured live by the test suite. */
    GO1_19("go1.19", false, true, 64 * 1024, true, false, false, KeepAlive.INTERVAL_THEN_IDLE, 4 << 20, false,
            Netpoller.Flavor.GO1_19),
    /** bookworm-backports' Go (1.23.5): captured live too, where it is installed. */
    GO1_23("go1.23", false, true, 64 * 1024, true, true, false, KeepAlive.IDLE_INTERVAL_COUNT, 1 << 20, true,
            Netpoller.Flavor.GO1_23);

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

    Profile(String id, boolean eagerPackageInit, boolean probeWithSysSocket, int somaxconnBuffer,
            boolean somaxconnThroughPoller, boolean somaxconnNonblockFirst, boolean soBroadcast, KeepAlive keepAlive,
            long maxSpliceSize, boolean growSplicePipes, Netpoller.Flavor poller) {
        this.id = id;
        this.eagerPackageInit = eagerPackageInit;
        this.probeWithSysSocket = probeWithSysSocket;
        this.somaxconnBuffer = somaxconnBuffer;
        this.somaxconnThroughPoller = somaxconnThroughPoller;
        this.somaxconnNonblockFirst = somaxconnNonblockFirst;
        this.soBroadcast = soBroadcast;
        this.keepAlive = keepAlive;
        this.maxSpliceSize = maxSpliceSize;
        this.growSplicePipes = growSplicePipes;
        this.poller = poller;
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
