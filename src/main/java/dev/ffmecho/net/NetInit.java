package dev.ffmecho.net;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.Unistd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Go 1.6's {@code net} package initialization, which runs before {@code main} — not inside
 * {@code ResolveTCPAddr}, where the study note first looked for it. Go initializes package-level
 * variables first and then runs {@code init()} functions, which gives the note's order:
 * <ol>
 *   <li>{@code var listenerBacklog = maxListenerBacklog()} (net/net.go:341; the function is in
 *       net/sock_linux.go): the {@code /proc/sys/net/core/somaxconn} read.</li>
 *   <li>{@code func init()} in net/net.go (lines 97-101 at go1.6): {@code supportsIPv4 = probeIPv4Stack()} then
 *       {@code supportsIPv6, supportsIPv4map = probeIPv6Stack()} (net/ipsock_posix.go).</li>
 * </ol>
 * A Java class initializer is this program's package init: {@link #ensure()} runs it once, first thing.
 * (Go 1.19 made both lazy — the backlog at the first listen, the probes on first need.)
 */
public final class NetInit {
    /** Go's {@code syscall.SOMAXCONN} on linux/amd64 (ztypes_linux_amd64.go), the fallback. */
    static final int GO_SOMAXCONN = 128;
    private static final String SOMAXCONN_PATH = "/proc/sys/net/core/somaxconn";
    /** {@code open()} in net/parse.go sizes its buffer {@code os.Getpagesize()}. */
    private static final int PAGE_SIZE = 4096;

    /** The backlog every {@code listen(2)} uses. */
    public static final int LISTENER_BACKLOG = maxListenerBacklog();
    /** Whether an IPv4 TCP socket can be made. */
    public static final boolean SUPPORTS_IPV4;
    /** Whether an IPv6 socket can bind {@code ::1}. */
    public static final boolean SUPPORTS_IPV6;
    /** Whether an IPv6 socket can bind an IPv4-mapped address: dual-stack {@code ::} listeners. */
    public static final boolean SUPPORTS_IPV4MAP;

    static {
        SUPPORTS_IPV4 = probeIPv4Stack();
        boolean[] v6 = probeIPv6Stack();
        SUPPORTS_IPV6 = v6[0];
        SUPPORTS_IPV4MAP = v6[1];
    }

    private NetInit() {}

    /** Runs the package initialization if it has not run yet (class initialization is once-only). */
    public static void ensure() {
        // Reading a field forces <clinit>; the fields are final and set by it.
        if (LISTENER_BACKLOG < 0) throw new AssertionError();
    }

    /**
     * net/sock_linux.go {@code maxListenerBacklog}: the first line of somaxconn, capped at
     * {@code 1<<16-1} because the kernel keeps the backlog in a uint16 (Go issue 5030).
     * {@code readLine} fills a page-sized buffer with {@code io.ReadFull}, which is why strace
     * shows {@code read(fd, "4096\n", 4096) = 5} and then {@code read(fd, "", 4091) = 0}.
     */
    @GoFunction(value = "net.maxListenerBacklog", note = "01-somaxconn.md")
    static int maxListenerBacklog() {
        int fd = Unistd.openat(Unistd.AT_FDCWD, SOMAXCONN_PATH, Unistd.O_RDONLY | Unistd.O_CLOEXEC);
        if (fd < 0) return GO_SOMAXCONN;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(PAGE_SIZE);
            int n = readFull(fd, page);
            // dtoi of the first field: leading decimal digits, saturating like Go's big-number guard.
            int value = 0;
            for (int i = 0; i < n && value < 1 << 20; i++) {
                byte c = page.get(JAVA_BYTE, i);
                if (c < '0' || c > '9') break;
                value = value * 10 + (c - '0');
            }
            if (value == 0) return GO_SOMAXCONN;
            return Math.min(value, (1 << 16) - 1);
        } finally {
            Unistd.close(fd); // defer fd.close()
        }
    }

    /** {@code io.ReadFull}: read until the buffer is full, EOF, or an error. */
    private static int readFull(int fd, MemorySegment buf) {
        int n = 0;
        while (n < buf.byteSize()) {
            long r = Unistd.read(fd, buf.asSlice(n), buf.byteSize() - n);
            if (r == -Errno.EINTR) continue;
            if (r <= 0) break;
            n += (int) r;
        }
        return n;
    }

    /**
     * net/ipsock_posix.go {@code probeIPv4Stack}: a plain blocking {@code socket(AF_INET,
     * SOCK_STREAM, IPPROTO_TCP)}; only EAFNOSUPPORT/EPROTONOSUPPORT mean "no IPv4".
     */
    @GoFunction(value = "net.probeIPv4Stack", note = "02-stack-probes.md")
    static boolean probeIPv4Stack() {
        int s = Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM, Socket.IPPROTO_TCP);
        if (s == -Errno.EAFNOSUPPORT || s == -Errno.EPROTONOSUPPORT) return false;
        if (s >= 0) Unistd.close(s);
        return true;
    }

    /**
     * net/ipsock_posix.go {@code probeIPv6Stack}: for each probe an IPv6 socket with
     * IPV6_V6ONLY set to the probe's value, bound to its address on port 0. {@code ::1} with
     * V6ONLY 1 proves IPv6; {@code ::ffff:127.0.0.1} with V6ONLY 0 proves IPv4-mapped addresses
     * work, i.e. that one {@code ::} socket can serve both families. Go closes the sockets with
     * {@code defer}, so in reverse order, after both probes.
     */
    @GoFunction(value = "net.probeIPv6Stack", note = "02-stack-probes.md")
    static boolean[] probeIPv6Stack() {
        TCPAddr[] laddrs = {new TCPAddr(IP.IPV6_LOOPBACK, 0), new TCPAddr(IP.v4(127, 0, 0, 1), 0)};
        int[] v6only = {1, 0};
        boolean[] supported = new boolean[2];
        Deque<Integer> deferred = new ArrayDeque<>();
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < laddrs.length; i++) {
                int s = Socket.socket(Socket.AF_INET6, Socket.SOCK_STREAM, Socket.IPPROTO_TCP);
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
