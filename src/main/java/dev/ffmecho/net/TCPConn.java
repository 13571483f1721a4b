package dev.ffmecho.net;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.poll.FD;
import dev.ffmecho.poll.Splice;
import dev.ffmecho.sys.Mman;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Go's {@code *net.TCPConn}: reads and writes go through the poller-registered {@link FD}. */
public final class TCPConn implements AutoCloseable {
    private final Profile profile;
    private final NetFD fd;
    private final TCPAddr localAddr;
    private final TCPAddr remoteAddr;

    private TCPConn(Profile profile, NetFD fd, TCPAddr localAddr, TCPAddr remoteAddr) {
        this.profile = profile;
        this.fd = fd;
        this.localAddr = localAddr;
        this.remoteAddr = remoteAddr;
    }

    /**
     * net/tcpsock_posix.go {@code newTCPConn}: {@code setNoDelay(fd, true)} on every TCP conn Go
     * creates — Go's choice is that a Write should reach the wire now, not wait for Nagle to
     * coalesce it with the next one. Its error is ignored, as in Go.
     */
    @GoFunction(value = "net.newTCPConn", note = "08-tcp-nodelay.md")
    static TCPConn newTCPConn(Profile profile, NetFD fd, TCPAddr localAddr, TCPAddr remoteAddr) {
        setNoDelay(fd.sysfd());
        return new TCPConn(profile, fd, localAddr, remoteAddr);
    }

    /**
     * {@code newTCPConn}'s one option on a socket that is not wrapped in a TCPConn: a connection an
     * event loop accepted (its error ignored, as in Go).
     */
    @GoFunction(value = "net.newTCPConn", note = "08-tcp-nodelay.md")
    public static void setNoDelay(int fd) {
        Socket.setsockoptInt(fd, Socket.SOL_TCP, Socket.TCP_NODELAY, 1);
    }

    /** Go's default keep-alive period for accepted conns ({@code defaultTCPKeepAlive}, 15 s). */
    /** {@code genericReadFrom} → io.Copy's {@code make([]byte, 32*1024)}: hence {@code read(fd, …, 32768)} in strace. */
    public static final int GENERIC_COPY_BUFFER = 32 * 1024;
    private static final int KEEPALIVE_SECONDS = 15;
    /** go1.23's default {@code KeepAliveConfig.Count} ({@code defaultTCPKeepAliveCount}). */
    private static final int KEEPALIVE_COUNT = 9;

    /**
     * Keep-alive as the profile's Go sets it on an accepted conn (see {@link Profile.KeepAlive}).
     * Errors are ignored, as the accept path in Go ignores them.
     */
    @GoFunction(value = "net.setKeepAlive", note = "12-go-versions.md")
    void setKeepAlive(Profile.KeepAlive style) {
        if (style == Profile.KeepAlive.NONE) return;
        int s = fd.sysfd();
        Socket.setsockoptInt(s, Socket.SOL_SOCKET, Socket.SO_KEEPALIVE, 1);
        if (style == Profile.KeepAlive.INTERVAL_THEN_IDLE) {
            Socket.setsockoptInt(s, Socket.SOL_TCP, Socket.TCP_KEEPINTVL, KEEPALIVE_SECONDS);
            Socket.setsockoptInt(s, Socket.SOL_TCP, Socket.TCP_KEEPIDLE, KEEPALIVE_SECONDS);
        } else {
            Socket.setsockoptInt(s, Socket.SOL_TCP, Socket.TCP_KEEPIDLE, KEEPALIVE_SECONDS);
            Socket.setsockoptInt(s, Socket.SOL_TCP, Socket.TCP_KEEPINTVL, KEEPALIVE_SECONDS);
            Socket.setsockoptInt(s, Socket.SOL_TCP, Socket.TCP_KEEPCNT, KEEPALIVE_COUNT);
        }
    }

    /**
     * {@code TCPConn.ReadFrom(src)}, which {@code io.Copy(dst, src)} calls because a TCPConn is an
     * {@code io.ReaderFrom}: go1.19 splices through a pipe ({@code splice(c.fd, r)}, net/splice_linux.go),
     * go1.6 falls back to {@code genericReadFrom} — {@code copyBuffer} with {@code buf}, 32 KiB
     * read then write-all until EOF.
     * @return bytes copied from {@code src} until its EOF
     */
    @GoFunction(value = "net.(*TCPConn).ReadFrom", note = "12-go-versions.md")
    public long readFrom(TCPConn src, MemorySegment buf, Splice splice) throws IOException {
        if (profile.maxSpliceSize > 0) {
            long spliced = splice.copy(fd.poll(), src.fd.poll());
            if (spliced != Splice.NOT_HANDLED) return spliced;
            // go1.19 tcpsock_posix.go readFrom: spliceFrom not handled (no pipe), sendFile not
            // applicable, so genericReadFrom: io.Copy through make([]byte, 32*1024).
            if (buf.byteSize() == 0) return copyThroughNewBuffer(src);
        }
        return copyThrough(src, buf);
    }

    /** {@code io.Copy}'s read/write loop through {@code buf}, until EOF on {@code src}. */
    private long copyThrough(TCPConn src, MemorySegment buf) throws IOException {
        long written = 0;
        while (true) {
            long nr = src.read(buf, buf.byteSize());
            if (nr == 0) return written; // io.EOF
            written += write(buf, nr);
        }
    }

    /** The same through a 32 KiB buffer of its own, for a caller that has none (it meant to splice). */
    private long copyThroughNewBuffer(TCPConn src) throws IOException {
        MemorySegment buf = Mman.mapAnonymous(GENERIC_COPY_BUFFER);
        try {
            return copyThrough(src, buf);
        } finally {
            Mman.munmap(buf);
        }
    }

    /** One read(2) of up to {@code count} bytes; 0 means EOF. */
    public long read(MemorySegment buf, long count) throws SyscallException {
        return fd.poll().read(buf, count);
    }

    /** Writes all {@code count} bytes of {@code buf}. */
    public long write(MemorySegment buf, long count) throws IOException {
        return fd.poll().write(buf, count);
    }

    /**
     * Ends a connection at the drain deadline: shutdown(2) SHUT_RDWR. A read parked on another
     * thread wakes and sees EOF; a write parked on a client that never reads wakes (EPOLLHUP) and
     * fails with EPIPE — either way its handler closes the conn.
     */
    @GoFunction(value = "ffm-echo: drain on SIGTERM", note = "11-ffm.md")
    public void shutdown() {
        Socket.shutdown(fd.sysfd(), Socket.SHUT_RDWR);
    }

    public TCPAddr localAddr() {
        return localAddr;
    }

    public TCPAddr remoteAddr() {
        return remoteAddr;
    }

    public int sysfd() {
        return fd.sysfd();
    }

    /** Go's {@code Close}: EPOLL_CTL_DEL, then close(2). */
    @Override
    public void close() throws SyscallException {
        fd.close();
    }
}
