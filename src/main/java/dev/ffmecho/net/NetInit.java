package dev.ffmecho.net;

import dev.ffmecho.poll.FD;
import dev.ffmecho.poll.Netpoller;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The net package's process-wide state — the listen backlog and what the IP stacks support — and
 * when Go computes it.
 *
 * <p>Go 1.6 computes both in the package's initialization, which runs before {@code main} — not
 * inside {@code ResolveTCPAddr}, where the study note first looked for it. Go initializes
 * package-level variables first and then runs {@code init()} functions, which gives the note's
 * order:
 * <ol>
 *   <li>{@code var listenerBacklog = maxListenerBacklog()} (net/net.go:341; the function is in
 *       net/sock_linux.go): the {@code /proc/sys/net/core/somaxconn} read.</li>
 *   <li>{@code func init()} in net/net.go (lines 97-101 at go1.6): {@code supportsIPv4 = probeIPv4Stack()} then
 *       {@code supportsIPv6, supportsIPv4map = probeIPv6Stack()} (net/ipsock_posix.go).</li>
 * </ol>
 * Go 1.19 computes each once, when first needed: the backlog at the first listen
 * ({@code listenerBacklog()}, a sync.Once), the stack support when a wildcard listener asks
 * ({@code ipStackCaps.Once}). {@link #packageInit} is this program's package init; the state is kept
 * per profile, as two Go versions would be two programs.
 */
public final class NetInit {
    /** Go's {@code syscall.SOMAXCONN} on linux/amd64 (zerrors_linux_amd64.go: 0x80), the fallback. */
    static final int GO_SOMAXCONN = 128;
    private static final String SOMAXCONN_PATH = "/proc/sys/net/core/somaxconn";

    /** One profile's once-computed values. */
    private static final class State {
        int backlog = -1;
        StackCapabilities stack;
    }

    private static final Map<Profile, State> STATES = new EnumMap<>(Profile.class);

    private NetInit() {}

    /** Go's net package initialization for {@code profile}: go1.6 reads and probes now, go1.19 does nothing yet. */
    public static synchronized void packageInit(Profile profile) {
        if (STATES.containsKey(profile)) return;
        State s = new State();
        STATES.put(profile, s);
        if (profile.eagerPackageInit) {
            s.backlog = maxListenerBacklog(profile, null);
            s.stack = probeStack(profile);
        }
    }

    /** The backlog every listen(2) uses: computed at init (go1.6) or by the first listen (go1.19). */
    static synchronized int listenerBacklog(Profile profile, Netpoller poller) throws SyscallException {
        State s = state(profile);
        if (s.backlog < 0) s.backlog = maxListenerBacklog(profile, poller);
        return s.backlog;
    }

    /** Whether an IPv4 TCP socket can be made. */
    static synchronized boolean supportsIPv4(Profile profile) {
        return stack(profile).ipv4();
    }

    /** Whether one {@code ::} socket can serve IPv4 too (IPv4-mapped addresses): dual-stack listeners. */
    static synchronized boolean supportsIPv4map(Profile profile) {
        return stack(profile).ipv4map();
    }

    private static StackCapabilities stack(Profile profile) {
        State s = state(profile);
        if (s.stack == null) s.stack = probeStack(profile);
        return s.stack;
    }

    private static State state(Profile profile) {
        packageInit(profile);
        return STATES.get(profile);
    }

    /**
     * net/sock_linux.go {@code maxListenerBacklog}: the first line of somaxconn. go1.6 caps it at
     * {@code 1<<16-1} (the kernel kept the backlog in a uint16, Go issue 5030); go1.19's
     * {@code maxAckBacklog} allows more on kernels ≥ 4.1 (the uint32 field), which every kernel a
     * JDK 22 runs on is. {@code readLine} fills its buffer with {@code io.ReadFull}, which is why
     * strace shows {@code read(fd, "4096\n", 4096) = 5} and then {@code read(fd, "", 4091) = 0}.
     * In go1.19 the file goes through the netpoller like every {@code os.File}.
     */
    @GoFunction(value = "net.maxListenerBacklog", note = "01-somaxconn.md")
    static int maxListenerBacklog(Profile profile, Netpoller poller) {
        int fd = Unistd.openat(Unistd.AT_FDCWD, SOMAXCONN_PATH, Unistd.O_RDONLY | Unistd.O_CLOEXEC);
        if (fd < 0) return GO_SOMAXCONN;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(profile.somaxconnBuffer);
            // Without a netpoller (the event loop has its own epoll) the file is read plainly.
            int n = profile.somaxconnThroughPoller && poller != null
                    ? readFullThroughPoller(profile, fd, buf, poller) : readFull(fd, buf);
            // dtoi of the first field: leading decimal digits, saturating like Go's big-number guard.
            long value = 0;
            for (int i = 0; i < n && value < 1L << 32; i++) {
                byte c = buf.get(JAVA_BYTE, i);
                if (c < '0' || c > '9') break;
                value = value * 10 + (c - '0');
            }
            if (value == 0) return GO_SOMAXCONN;
            long cap = profile == Profile.GO1_6 ? (1 << 16) - 1 : Integer.MAX_VALUE;
            return (int) Math.min(value, cap);
        }
    }

    /** go1.6: {@code io.ReadFull} on a plain fd, which is closed with {@code defer fd.close()}. */
    private static int readFull(int fd, MemorySegment buf) {
        try {
            int n = 0;
            while (n < buf.byteSize()) {
                long r = Unistd.read(fd, buf.asSlice(n), buf.byteSize() - n);
                if (r == -Errno.EINTR) continue;
                if (r <= 0) break;
                n += (int) r;
            }
            return n;
        } finally {
            Unistd.close(fd);
        }
    }

    /**
     * go1.19+: {@code os.Open} → {@code newFile(…, kindOpenFile)}: register with the netpoller
     * ({@code pfd.Init}) and set O_NONBLOCK ({@code syscall.SetNonblock}: F_GETFL, then F_SETFL) —
     * go1.19 in that order, go1.23 the other way round; read through the poller; {@code Close}
     * deletes the registration, then closes.
     */
    private static int readFullThroughPoller(Profile profile, int fd, MemorySegment buf, Netpoller poller) {
        if (profile.somaxconnNonblockFirst) setNonblock(fd);
        FD file;
        try {
            file = FD.open(fd, poller);
        } catch (SyscallException notPollable) {
            return readFull(fd, buf); // EPERM: a regular file; Go reads it blocking
        }
        try {
            if (!profile.somaxconnNonblockFirst) setNonblock(fd);
            int n = 0;
            while (n < buf.byteSize()) {
                long r = file.read(buf.asSlice(n), buf.byteSize() - n);
                if (r == 0) break;
                n += (int) r;
            }
            return n;
        } catch (SyscallException e) {
            return 0; // Go: !ok → SOMAXCONN
        } finally {
            try {
                file.close();
            } catch (SyscallException ignored) {
                // the number is released by close(2) regardless
            }
        }
    }

    /** {@code syscall.SetNonblock(fd, true)}: F_GETFL, then F_SETFL with O_NONBLOCK added if missing. */
    private static void setNonblock(int fd) {
        int flags = Unistd.fcntl(fd, Unistd.F_GETFL, 0);
        if (flags >= 0 && (flags & Unistd.O_NONBLOCK) == 0) Unistd.fcntl(fd, Unistd.F_SETFL, flags | Unistd.O_NONBLOCK);
    }

    /**
     * net/ipsock_posix.go {@code probeIPv4Stack} and {@code probeIPv6Stack} (go1.6), or
     * {@code (*ipStackCapabilities).probe} (go1.19), which does the same with sysSocket's flags.
     */
    private static StackCapabilities probeStack(Profile profile) {
        boolean v4 = probeIPv4Stack(profile);
        boolean[] v6 = probeIPv6Stack(profile);
        return new StackCapabilities(v4, v6[1]);
    }

    /**
     * What the listen path reads of the probes: Go's {@code supportsIPv4} and
     * {@code supportsIPv4map}. ({@code supportsIPv6}, the IPv6 probe's other result, is read only
     * by code paths this server never takes; the probe itself runs, as Go's does.)
     */
    private record StackCapabilities(boolean ipv4, boolean ipv4map) {}

    private static int probeSocket(Profile profile, int family) {
        int flags = profile.probeWithSysSocket ? Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC : 0;
        return Socket.socket(family, Socket.SOCK_STREAM | flags, Socket.IPPROTO_TCP);
    }

    /**
     * {@code probeIPv4Stack}: one {@code socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)}; only
     * EAFNOSUPPORT/EPROTONOSUPPORT mean "no IPv4".
     */
    @GoFunction(value = "net.probeIPv4Stack", note = "02-stack-probes.md")
    static boolean probeIPv4Stack(Profile profile) {
        int s = probeSocket(profile, Socket.AF_INET);
        if (s == -Errno.EAFNOSUPPORT || s == -Errno.EPROTONOSUPPORT) return false;
        if (s >= 0) Unistd.close(s);
        return true;
    }

    /**
     * {@code probeIPv6Stack}: for each probe an IPv6 socket with IPV6_V6ONLY set to the probe's
     * value, bound to its address on port 0. {@code ::1} with V6ONLY 1 proves IPv6;
     * {@code ::ffff:127.0.0.1} with V6ONLY 0 proves IPv4-mapped addresses work, i.e. that one
     * {@code ::} socket can serve both families. Go closes the sockets with {@code defer}, so in
     * reverse order, after both probes.
     */
    @GoFunction(value = "net.probeIPv6Stack", note = "02-stack-probes.md")
    static boolean[] probeIPv6Stack(Profile profile) {
        TCPAddr[] laddrs = {new TCPAddr(IP.IPV6_LOOPBACK, 0), new TCPAddr(IP.v4(127, 0, 0, 1), 0)};
        int[] v6only = {1, 0};
        boolean[] supported = new boolean[2];
        Deque<Integer> deferred = new ArrayDeque<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < laddrs.length; i++) {
                int s = probeSocket(profile, Socket.AF_INET6);
                if (s < 0) continue;
                deferred.push(s);
                Socket.setsockoptInt(s, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, v6only[i]);
                MemorySegment sa = Sockaddrs.ipToSockaddr(arena, Socket.AF_INET6, laddrs[i].ip(), 0);
                if (sa == null) continue;
                supported[i] = Socket.bind(s, sa) == 0;
            }
        } finally {
            while (!deferred.isEmpty()) Unistd.close(deferred.pop());
        }
        return supported;
    }
}
