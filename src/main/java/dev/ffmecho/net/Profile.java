package dev.ffmecho.net;

import dev.ffmecho.poll.Netpoller;

/**
 * Which Go's syscalls to reproduce (SPEC §3). Every difference between the versions is a field
 * here, named for what it does and documented with the Go source it comes from, so that the code
 * that runs the calls ({@link NetInit}, {@link NetFD}, {@link TCPListener}, {@link TCPConn}) asks
 * the profile instead of knowing versions. The order of the steps is Go's order, which the two
 * versions share once these choices are made.
 */
public enum Profile {
    /** The study note's Go (2016): its trace is the reference. */
    GO1_6("go1.6", true, false, 4096, false, true, 0, false, Netpoller.Flavor.GO1_6),
    /** Debian bookworm's Go (1.19.8): its reference is captured live by the test suite. */
    GO1_19("go1.19", false, true, 64 * 1024, true, false, 15, true, Netpoller.Flavor.GO1_19);

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
    /** go1.6 sets SO_BROADCAST on every socket (net/sockopt_linux.go {@code setDefaultSockopts}); go1.19 only on UDP and raw sockets. */
    final boolean soBroadcast;
    /**
     * Keep-alive on accepted conns: go1.19 {@code (*TCPListener).accept} (net/tcpsock_posix.go)
     * calls {@code setKeepAlive(fd, true)} and {@code setKeepAlivePeriod(fd, 15s)} (TCP_KEEPINTVL
     * then TCP_KEEPIDLE, net/tcpsockopt_unix.go); 0 for go1.6, which set none.
     */
    final int keepAliveSeconds;
    /**
     * {@code io.Copy(conn, conn)}: go1.19's {@code TCPConn.ReadFrom} splices through a pipe
     * (net/splice_linux.go, internal/poll/splice_linux.go); go1.6's reads and writes 32 KiB at a time.
     */
    final boolean splice;
    /** The runtime's netpoller. */
    public final Netpoller.Flavor poller;

    Profile(String id, boolean eagerPackageInit, boolean probeWithSysSocket, int somaxconnBuffer,
            boolean somaxconnThroughPoller, boolean soBroadcast, int keepAliveSeconds, boolean splice,
            Netpoller.Flavor poller) {
        this.id = id;
        this.eagerPackageInit = eagerPackageInit;
        this.probeWithSysSocket = probeWithSysSocket;
        this.somaxconnBuffer = somaxconnBuffer;
        this.somaxconnThroughPoller = somaxconnThroughPoller;
        this.soBroadcast = soBroadcast;
        this.keepAliveSeconds = keepAliveSeconds;
        this.splice = splice;
        this.poller = poller;
    }

    /** The profile named {@code id}, or null. */
    public static Profile of(String id) {
        for (Profile p : values()) if (p.id.equals(id)) return p;
        return null;
    }
}
