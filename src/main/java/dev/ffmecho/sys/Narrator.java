package dev.ffmecho.sys;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code --narrate}: every syscall this package makes, printed to stderr as strace would print it,
 * followed by the Go function it mirrors and the note that explains it:
 * <pre>accept4(5, 0x7f3c8c0011a0, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)  ← net.(*netFD).accept · native-notes/06-accept4-eagain.md</pre>
 *
 * <p>It lives in the syscall layer so that nothing can make a call it does not see, and each
 * wrapper reports its own call in one line. It costs nothing when off: {@link #ENABLED} is a
 * {@code static final} read once from the system property {@value #PROPERTY}, which the CLI sets
 * before any class of this package is initialized, so the JIT folds every {@code if (ENABLED)}
 * away. Blocking {@code epoll_wait}s are printed in two halves, {@code <unfinished ...>} before
 * and {@code <... epoll_wait resumed>} after, exactly as strace splits them, so that a signal that
 * arrives meanwhile lands between them. The output parses as strace output: {@code trace-diff}
 * reads it, ignoring the {@code ← …} annotations.
 */
public final class Narrator {
    public static final String PROPERTY = "ffmecho.narrate";
    public static final boolean ENABLED = Boolean.getBoolean(PROPERTY);
    /** strace's default {@code -s 32}: longer strings are cut and followed by {@code ...}. */
    private static final int STRING_LIMIT = 32;

    /** stderr in UTF-8 whatever the locale says, so the arrows survive a POSIX locale. */
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final Map<String, Optional<GoFunction>> ANNOTATIONS = new ConcurrentHashMap<>();

    private Narrator() {}

    // ---- one method per syscall, called by its wrapper with the arguments and the result ----

    static void socket(int domain, int type, int protocol, int r) {
        emit("socket(" + domain(domain) + ", " + sockType(type) + ", " + protocol(protocol) + ")", r);
    }

    static void setsockopt(int fd, int level, int name, MemorySegment value, int r) {
        emit("setsockopt(" + fd + ", " + level(level) + ", " + optname(level, name) + ", "
                + intValue(value) + ", " + value.byteSize() + ")", r);
    }

    static void getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len, int r) {
        emit("getsockopt(" + fd + ", " + level(level) + ", " + optname(level, name) + ", "
                + (r < 0 ? pointer(value) : intValue(value)) + ", [" + len.get(JAVA_INT, 0) + "])", r);
    }

    static void bind(int fd, MemorySegment addr, int r) {
        emit("bind(" + fd + ", " + sockaddr(addr) + ", " + addr.byteSize() + ")", r);
    }

    static void listen(int fd, int backlog, int r) {
        emit("listen(" + fd + ", " + backlog + ")", r);
    }

    static void accept4(int fd, RawSockaddrAny peer, int flags, int r) {
        emit("accept4(" + fd + ", " + filledSockaddr(peer, r) + ", " + flags(flags) + ")", r);
    }

    static void connect(int fd, MemorySegment addr, int r) {
        emit("connect(" + fd + ", " + sockaddr(addr) + ", " + addr.byteSize() + ")", r);
    }

    static void getsockname(int fd, RawSockaddrAny local, int r) {
        emit("getsockname(" + fd + ", " + filledSockaddr(local, r) + ")", r);
    }

    static void shutdown(int fd, int how, int r) {
        String[] names = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
        emit("shutdown(" + fd + ", " + (how >= 0 && how < 3 ? names[how] : Integer.toString(how)) + ")", r);
    }

    static void epollCreate1(int flags, int r) {
        emit("epoll_create1(" + (flags == EPoll.EPOLL_CLOEXEC ? "EPOLL_CLOEXEC" : Integer.toString(flags)) + ")", r);
    }

    static void epollCtl(int epfd, int op, int fd, MemorySegment event, int r) {
        String opName = switch (op) {
            case EPoll.EPOLL_CTL_ADD -> "EPOLL_CTL_ADD";
            case EPoll.EPOLL_CTL_DEL -> "EPOLL_CTL_DEL";
            case EPoll.EPOLL_CTL_MOD -> "EPOLL_CTL_MOD";
            default -> Integer.toString(op);
        };
        // strace prints only the address for DEL: the kernel ignores the event then.
        String ev = op == EPoll.EPOLL_CTL_DEL ? pointer(event) : epollEvent(event, 0);
        emit("epoll_ctl(" + epfd + ", " + opName + ", " + fd + ", " + ev + ")", r);
    }

    /** Before a blocking epoll_wait/epoll_pwait: strace's first half. */
    static void epollWaitEnter(String name, int epfd) {
        emitRaw(name + "(" + epfd + ",  <unfinished ...>");
    }

    static void epollWait(int epfd, MemorySegment events, int maxEvents, int timeout, int r) {
        emitWait("epoll_wait", epfd, events, maxEvents, timeout, "", r);
    }

    /** glibc passes sigsetsize _NSIG/8 = 8 with the NULL mask. */
    static void epollPwait(int epfd, MemorySegment events, int maxEvents, int timeout, int r) {
        emitWait("epoll_pwait", epfd, events, maxEvents, timeout, ", NULL, 8", r);
    }

    private static void emitWait(String name, int epfd, MemorySegment events, int maxEvents, int timeout, String extra, int r) {
        StringBuilder list = new StringBuilder("[");
        for (int i = 0; i < r; i++) {
            if (i > 0) list.append(", ");
            list.append(epollEvent(events, i));
        }
        String tail = (r < 0 ? pointer(events) : list + "]") + ", " + maxEvents + ", " + timeout + extra + ")";
        emit(timeout != 0 ? "<... " + name + " resumed>" + tail : name + "(" + epfd + ", " + tail, r);
    }

    static void pipe2(MemorySegment fds, int flags, int r) {
        String ends = r < 0 ? pointer(fds) : "[" + fds.get(JAVA_INT, 0) + ", " + fds.get(JAVA_INT, 4) + "]";
        emit("pipe2(" + ends + ", " + openFlags(flags, false) + ")", r);
    }

    static void fcntl(int fd, int cmd, int arg, int r) {
        String call = switch (cmd) {
            case Unistd.F_GETFL -> "fcntl(" + fd + ", F_GETFL)";
            case Unistd.F_SETFL -> "fcntl(" + fd + ", F_SETFL, " + openFlags(arg, true) + ")";
            case Unistd.F_GETPIPE_SZ -> "fcntl(" + fd + ", F_GETPIPE_SZ)";
            case Unistd.F_SETPIPE_SZ -> "fcntl(" + fd + ", F_SETPIPE_SZ, " + arg + ")";
            default -> "fcntl(" + fd + ", " + cmd + ", " + arg + ")";
        };
        if (cmd == Unistd.F_GETFL && r >= 0) {
            emitRaw(call + " = 0x" + Integer.toHexString(r) + " (flags " + openFlags(r, true) + ")");
        } else {
            emit(call, r);
        }
    }

    static void eventfd(int initval, int flags, int r) {
        String f = "";
        if ((flags & Unistd.EFD_CLOEXEC) != 0) f = "EFD_CLOEXEC";
        if ((flags & Unistd.EFD_NONBLOCK) != 0) f += (f.isEmpty() ? "" : "|") + "EFD_NONBLOCK";
        emit("eventfd2(" + initval + ", " + (f.isEmpty() ? "0" : f) + ")", r);
    }

    static void splice(int in, int out, long len, int flags, long r) {
        emit("splice(" + in + ", NULL, " + out + ", NULL, " + len + ", "
                + (flags == Unistd.SPLICE_F_NONBLOCK ? "SPLICE_F_NONBLOCK" : Integer.toString(flags)) + ")", r);
    }

    /** open(2)-style flags as strace prints them; O_LARGEFILE is what the kernel reports for 64-bit opens. */
    private static String openFlags(int flags, boolean withAccessMode) {
        StringBuilder sb = new StringBuilder();
        if (withAccessMode) sb.append((flags & 3) == Unistd.O_RDONLY ? "O_RDONLY" : (flags & 3) == 1 ? "O_WRONLY" : "O_RDWR");
        int[] bits = {Unistd.O_NONBLOCK, 0x8000, Unistd.O_CLOEXEC};
        String[] names = {"O_NONBLOCK", "O_LARGEFILE", "O_CLOEXEC"};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) sb.append(sb.length() > 0 ? "|" : "").append(names[i]);
        }
        return sb.length() > 0 ? sb.toString() : "0";
    }

    static void read(int fd, MemorySegment buf, long count, long r) {
        emit("read(" + fd + ", " + (r < 0 ? pointer(buf) : string(buf, r)) + ", " + count + ")", r);
    }

    static void write(int fd, MemorySegment buf, long count, long r) {
        emit("write(" + fd + ", " + string(buf, count) + ", " + count + ")", r);
    }

    /** glibc's send(2) is the sendto syscall with no address, and strace shows it so. */
    static void send(int fd, MemorySegment buf, long count, int flags, long r) {
        emit("sendto(" + fd + ", " + string(buf, count) + ", " + count + ", " + (flags == Socket.MSG_NOSIGNAL ? "MSG_NOSIGNAL" : flags)
                + ", NULL, 0)", r);
    }

    /** glibc's recv(2) is the recvfrom syscall with no address. */
    static void recv(int fd, MemorySegment buf, long count, int flags, long r) {
        emit("recvfrom(" + fd + ", " + (r < 0 ? pointer(buf) : string(buf, r)) + ", " + count + ", " + flags + ", NULL, NULL)", r);
    }

    static void close(int fd, int r) {
        emit("close(" + fd + ")", r);
    }

    static void openat(int dirfd, String path, int flags, int r) {
        String f = (flags & 3) == Unistd.O_RDONLY ? "O_RDONLY" : Integer.toString(flags & 3);
        if ((flags & Unistd.O_CLOEXEC) != 0) f += "|O_CLOEXEC";
        emit("openat(" + (dirfd == Unistd.AT_FDCWD ? "AT_FDCWD" : Integer.toString(dirfd)) + ", "
                + quote(path.getBytes()) + ", " + f + ")", r);
    }

    // ---- io_uring: strace shows only io_uring_enter; what it carried is printed as comment lines ----

    /** user_data → the SQE it was submitted with, so a completion can name its request. */
    private static final Map<Long, String> SUBMITTED = new ConcurrentHashMap<>();

    static void ioUringSetup(int entries, MemorySegment params, int r) {
        emit("io_uring_setup(" + entries + ", {flags=" + setupFlags(IoUringParams.flags(params))
                + (r < 0 ? "" : ", sq_entries=" + IoUringParams.sqEntries(params) + ", cq_entries=" + IoUringParams.cqEntries(params)
                        + ", features=0x" + Integer.toHexString(IoUringParams.features(params))) + "})", r);
    }

    static void ioUringRegister(int fd, int opcode, int nrArgs, int r) {
        String op = switch (opcode) {
            case IoUring.IORING_REGISTER_PROBE -> "IORING_REGISTER_PROBE";
            case IoUring.IORING_REGISTER_PBUF_RING -> "IORING_REGISTER_PBUF_RING";
            case IoUring.IORING_UNREGISTER_PBUF_RING -> "IORING_UNREGISTER_PBUF_RING";
            default -> Integer.toString(opcode);
        };
        emit("io_uring_register(" + fd + ", " + op + ", " + (opcode == IoUring.IORING_REGISTER_PROBE ? "0x…" : "{…}") + ", " + nrArgs + ")", r);
    }

    /** One SQE about to be submitted, as the call it stands for. */
    static void ioUringSqe(int ringFd, MemorySegment sqes, long at) {
        int op = IoUringSqe.opcode(sqes, at);
        int fd = IoUringSqe.fd(sqes, at);
        String call = switch (op) {
            case IoUring.IORING_OP_ACCEPT -> "accept4(" + fd + ", NULL, NULL, " + flags(IoUringSqe.opFlags(sqes, at)) + ")"
                    + ((IoUringSqe.ioprio(sqes, at) & IoUring.IORING_ACCEPT_MULTISHOT) != 0 ? " multishot" : "");
            case IoUring.IORING_OP_RECV -> "recv(" + fd + ", <a buffer of group " + IoUringSqe.bufGroup(sqes, at) + ">, "
                    + IoUringSqe.len(sqes, at) + ", 0)"
                    + ((IoUringSqe.ioprio(sqes, at) & IoUring.IORING_RECV_MULTISHOT) != 0 ? " multishot" : "");
            case IoUring.IORING_OP_SEND -> "send(" + fd + ", 0x" + Long.toHexString(IoUringSqe.addr(sqes, at)) + ", "
                    + IoUringSqe.len(sqes, at) + ", " + (IoUringSqe.opFlags(sqes, at) == Socket.MSG_NOSIGNAL ? "MSG_NOSIGNAL" : IoUringSqe.opFlags(sqes, at)) + ")";
            case IoUring.IORING_OP_READ -> "read(" + fd + ", 0x" + Long.toHexString(IoUringSqe.addr(sqes, at)) + ", " + IoUringSqe.len(sqes, at) + ")";
            case IoUring.IORING_OP_ASYNC_CANCEL -> "cancel(user_data=0x" + Long.toHexString(IoUringSqe.addr(sqes, at)) + ")";
            default -> "opcode " + op + "(" + fd + ")";
        };
        long userData = IoUringSqe.userData(sqes, at);
        SUBMITTED.put(userData, call);
        OUT.println("#   io_uring " + ringFd + " sqe: " + call + "  user_data=0x" + Long.toHexString(userData));
    }

    static void ioUringEnterWait(int fd, int toSubmit, int minComplete, int flags) {
        emitRaw("io_uring_enter(" + fd + ", " + toSubmit + ", " + minComplete + ", " + enterFlags(flags) + ",  <unfinished ...>");
    }

    static void ioUringEnter(int fd, int toSubmit, int minComplete, int flags, long timeoutNanos, int r) {
        String args = (flags & IoUring.IORING_ENTER_EXT_ARG) != 0
                ? ", {ts={tv_sec=" + timeoutNanos / 1_000_000_000L + ", tv_nsec=" + timeoutNanos % 1_000_000_000L + "}}, 24)" : ", NULL, 0)";
        emit(minComplete > 0 ? "<... io_uring_enter resumed>" + args
                : "io_uring_enter(" + fd + ", " + toSubmit + ", " + minComplete + ", " + enterFlags(flags) + args, r);
    }

    /** One completion as it is reaped: the request it ends (by its user_data), its result and flags. */
    static void ioUringCqe(int ringFd, MemorySegment cqes, long at) {
        long userData = IoUringCqe.userData(cqes, at);
        int res = IoUringCqe.res(cqes, at);
        int flags = IoUringCqe.flags(cqes, at);
        String request = (flags & IoUring.IORING_CQE_F_MORE) != 0 ? SUBMITTED.get(userData) : SUBMITTED.remove(userData);
        StringBuilder f = new StringBuilder();
        if ((flags & IoUring.IORING_CQE_F_MORE) != 0) f.append("F_MORE");
        if ((flags & IoUring.IORING_CQE_F_BUFFER) != 0) f.append(f.isEmpty() ? "" : "|").append("F_BUFFER bid=").append(IoUringCqe.bufferId(flags));
        if ((flags & IoUring.IORING_CQE_F_SOCK_NONEMPTY) != 0) f.append(f.isEmpty() ? "" : "|").append("F_SOCK_NONEMPTY");
        OUT.println("#   io_uring " + ringFd + " cqe: " + (request == null ? "?" : request) + " = "
                + (res >= 0 ? Integer.toString(res) : "-1 " + Errno.describe(-res)) + (f.isEmpty() ? "" : "  [" + f + "]")
                + "  user_data=0x" + Long.toHexString(userData));
    }

    private static String setupFlags(int flags) {
        StringBuilder b = new StringBuilder();
        String[] names = {"IORING_SETUP_SUBMIT_ALL", "IORING_SETUP_COOP_TASKRUN", "IORING_SETUP_SINGLE_ISSUER", "IORING_SETUP_DEFER_TASKRUN"};
        int[] bits = {IoUring.IORING_SETUP_SUBMIT_ALL, IoUring.IORING_SETUP_COOP_TASKRUN, IoUring.IORING_SETUP_SINGLE_ISSUER, IoUring.IORING_SETUP_DEFER_TASKRUN};
        for (int i = 0; i < bits.length; i++) if ((flags & bits[i]) != 0) b.append(b.isEmpty() ? "" : "|").append(names[i]);
        return b.isEmpty() ? "0" : b.toString();
    }

    private static String enterFlags(int flags) {
        String s = (flags & IoUring.IORING_ENTER_GETEVENTS) != 0 ? "IORING_ENTER_GETEVENTS" : "";
        if ((flags & IoUring.IORING_ENTER_EXT_ARG) != 0) s += (s.isEmpty() ? "" : "|") + "IORING_ENTER_EXT_ARG";
        return s.isEmpty() ? "0" : s;
    }

    /** A signal the process received, as strace prints it. Called by the CLI's signal handler. */
    public static void signal(String name) {
        if (ENABLED) emitRaw("--- " + name + " {si_signo=" + name + "} ---");
    }

    // ---- output ----

    private static void emit(String call, long r) {
        String result = r >= 0 ? Long.toString(r) : "-1 " + Errno.describe((int) -r);
        emitRaw(call + " = " + result);
    }

    private static void emitRaw(String text) {
        String origin = WALKER.walk(frames -> frames
                .map(f -> annotation(f.getDeclaringClass(), f.getMethodName(), f.getMethodType()))
                .flatMap(Optional::stream)
                .findFirst())
                .map(g -> "  ← " + g.value() + " · native-notes/" + g.note())
                .orElse("");
        OUT.println(text + origin);
    }

    /** The annotation of the exact method a frame runs (overloads told apart by their parameter types). */
    private static Optional<GoFunction> annotation(Class<?> type, String method, MethodType signature) {
        if (type == Narrator.class) return Optional.empty();
        return ANNOTATIONS.computeIfAbsent(type.getName() + "#" + method + signature, k -> {
            for (Method m : type.getDeclaredMethods()) {
                if (m.getName().equals(method) && Arrays.equals(m.getParameterTypes(), signature.parameterArray())) {
                    return Optional.ofNullable(m.getAnnotation(GoFunction.class));
                }
            }
            return Optional.empty();
        });
    }

    // ---- strace's spelling of arguments ----

    private static String domain(int d) {
        return switch (d) {
            case Socket.AF_INET -> "AF_INET";
            case Socket.AF_INET6 -> "AF_INET6";
            case Socket.AF_UNSPEC -> "AF_UNSPEC";
            default -> Integer.toString(d);
        };
    }

    private static String sockType(int type) {
        int base = type & ~(Socket.SOCK_CLOEXEC | Socket.SOCK_NONBLOCK);
        String s = base == Socket.SOCK_STREAM ? "SOCK_STREAM" : Integer.toString(base);
        if ((type & Socket.SOCK_CLOEXEC) != 0) s += "|SOCK_CLOEXEC";
        if ((type & Socket.SOCK_NONBLOCK) != 0) s += "|SOCK_NONBLOCK";
        return s;
    }

    private static String flags(int flags) {
        if (flags == 0) return "0";
        String s = "";
        if ((flags & Socket.SOCK_CLOEXEC) != 0) s = "SOCK_CLOEXEC";
        if ((flags & Socket.SOCK_NONBLOCK) != 0) s += (s.isEmpty() ? "" : "|") + "SOCK_NONBLOCK";
        int rest = flags & ~(Socket.SOCK_CLOEXEC | Socket.SOCK_NONBLOCK);
        return rest == 0 ? s : s + (s.isEmpty() ? "" : "|") + "0x" + Integer.toHexString(rest);
    }

    private static String protocol(int p) {
        return switch (p) {
            case Socket.IPPROTO_IP -> "IPPROTO_IP";
            case Socket.IPPROTO_TCP -> "IPPROTO_TCP";
            default -> Integer.toString(p);
        };
    }

    private static String level(int level) {
        return switch (level) {
            case Socket.SOL_SOCKET -> "SOL_SOCKET";
            case Socket.SOL_TCP -> "SOL_TCP";
            case Socket.SOL_IPV6 -> "SOL_IPV6";
            default -> Integer.toString(level);
        };
    }

    private static String optname(int level, int name) {
        String n = switch (level) {
            case Socket.SOL_SOCKET -> switch (name) {
                case Socket.SO_REUSEADDR -> "SO_REUSEADDR";
                case Socket.SO_ERROR -> "SO_ERROR";
                case Socket.SO_BROADCAST -> "SO_BROADCAST";
                case Socket.SO_KEEPALIVE -> "SO_KEEPALIVE";
                case Socket.SO_REUSEPORT -> "SO_REUSEPORT";
                default -> null;
            };
            case Socket.SOL_TCP -> switch (name) {
                case Socket.TCP_NODELAY -> "TCP_NODELAY";
                case Socket.TCP_KEEPIDLE -> "TCP_KEEPIDLE";
                case Socket.TCP_KEEPINTVL -> "TCP_KEEPINTVL";
                case Socket.TCP_KEEPCNT -> "TCP_KEEPCNT";
                default -> null;
            };
            case Socket.SOL_IPV6 -> name == Socket.IPV6_V6ONLY ? "IPV6_V6ONLY" : null;
            default -> null;
        };
        return n != null ? n : Integer.toString(name);
    }

    private static String intValue(MemorySegment value) {
        return value.byteSize() == 4 ? "[" + value.get(JAVA_INT, 0) + "]" : pointer(value);
    }

    private static String pointer(MemorySegment s) {
        return "0x" + Long.toHexString(s.address());
    }

    /** An output sockaddr: decoded with {@code [112 => len]} after success, only the address before. */
    private static String filledSockaddr(RawSockaddrAny buf, long r) {
        if (r < 0) return pointer(buf.address()) + ", [" + RawSockaddrAny.SIZE + "]";
        MemorySegment sa = buf.sockaddr();
        return sockaddr(sa) + ", [" + RawSockaddrAny.SIZE + " => " + sa.byteSize() + "]";
    }

    private static String sockaddr(MemorySegment sa) {
        int family = Short.toUnsignedInt(sa.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 0));
        if (family == Socket.AF_INET && sa.byteSize() >= SockaddrIn.SIZE) {
            byte[] a = SockaddrIn.addr(sa);
            return "{sa_family=AF_INET, sin_port=htons(" + SockaddrIn.port(sa) + "), sin_addr=inet_addr(\""
                    + (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff) + "\")}";
        }
        if (family == Socket.AF_INET6 && sa.byteSize() >= SockaddrIn6.SIZE) {
            return "{sa_family=AF_INET6, sin6_port=htons(" + SockaddrIn6.port(sa) + "), sin6_flowinfo=htonl(0), "
                    + "inet_pton(AF_INET6, \"" + SockaddrIn6.ntop(SockaddrIn6.addr(sa)) + "\", &sin6_addr), sin6_scope_id="
                    + SockaddrIn6.scopeId(sa) + "}";
        }
        return "{sa_family=" + family + "}";
    }

    private static String epollEvent(MemorySegment array, int index) {
        int ev = EpollEvent.events(array, index);
        long data = EpollEvent.data(array, index);
        return "{events=" + epollFlags(ev) + ", data={u32=" + Integer.toUnsignedString((int) data)
                + ", u64=" + Long.toUnsignedString(data) + "}}";
    }

    private static String epollFlags(int ev) {
        if (ev == 0) return "0";
        String[] names = {"EPOLLIN", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDHUP", "EPOLLET"};
        int[] bits = {EPoll.EPOLLIN, EPoll.EPOLLOUT, EPoll.EPOLLERR, EPoll.EPOLLHUP, EPoll.EPOLLRDHUP, EPoll.EPOLLET};
        StringBuilder sb = new StringBuilder();
        int rest = ev;
        for (int i = 0; i < names.length; i++) {
            if ((ev & bits[i]) != 0) {
                if (sb.length() > 0) sb.append('|');
                sb.append(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) sb.append(sb.length() > 0 ? "|" : "").append("0x").append(Integer.toHexString(rest));
        return sb.toString();
    }

    private static String string(MemorySegment buf, long length) {
        int n = (int) Math.min(length, STRING_LIMIT);
        String s = quote(buf.asSlice(0, n).toArray(JAVA_BYTE));
        return length > STRING_LIMIT ? s + "..." : s;
    }

    /** strace's C-string quoting: printable ASCII as is, the usual escapes, octal for the rest. */
    private static String quote(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c >= 0x20 && c < 0x7f) sb.append((char) c);
                    else sb.append('\\').append(Integer.toOctalString(c));
                }
            }
        }
        return sb.append('"').toString();
    }
}
