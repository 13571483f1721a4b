package dev.ffmecho.verify;

import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.SockaddrIn;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * One client connection to 127.0.0.1:PORT through the sys bindings: a blocking socket (no
 * SOCK_NONBLOCK: the client is not under test and needs no poller), every send and recv bounded by
 * SO_RCVTIMEO/SO_SNDTIMEO, after which the call fails with EAGAIN (socket(7)) and this class says
 * the server went silent. send/recv, not Unistd's read/write: those are linked critical for the
 * server's non-blocking fds, and a critical call that blocks stalls the whole JVM at its next
 * safepoint (a GC) — with the thread that would write the next bytes stopped there too. Reads and writes may come from two threads at once (a writer streaming
 * while a reader takes the echo); each call uses a buffer of its own.
 */
final class EchoConnection implements AutoCloseable {
    /** How long one read or write may block: far beyond any loopback echo, short enough to end a hung run. */
    static final long IO_TIMEOUT_MILLIS = 20_000;
    private static final int CHUNK = 64 * 1024;
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private final int fd;
    private boolean closed;

    private EchoConnection(int fd) {
        this.fd = fd;
    }

    /** Connects to 127.0.0.1:{@code port}; the server listens dual-stack or on IPv4, so IPv4 reaches it either way. */
    static EchoConnection open(int port) throws SyscallException {
        int fd = Errno.check("socket", Socket.socket(Socket.AF_INET, Socket.SOCK_STREAM | Socket.SOCK_CLOEXEC, 0));
        EchoConnection c = new EchoConnection(fd);
        try (Arena arena = Arena.ofConfined()) {
            Errno.check("setsockopt", Socket.setsockoptTimeval(fd, Socket.SO_RCVTIMEO, IO_TIMEOUT_MILLIS));
            Errno.check("setsockopt", Socket.setsockoptTimeval(fd, Socket.SO_SNDTIMEO, IO_TIMEOUT_MILLIS));
            MemorySegment server = SockaddrIn.of(arena, LOOPBACK, port);
            int r;
            do {
                r = Socket.connect(fd, server);
            } while (r == -Errno.EINTR);
            Errno.check("connect", r);
            return c;
        } catch (SyscallException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Sends all of {@code data}. */
    void writeAll(byte[] data) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.min(CHUNK, Math.max(1, data.length)));
            int off = 0;
            while (off < data.length) {
                int n = Math.min((int) buf.byteSize(), data.length - off);
                MemorySegment.copy(data, off, buf, JAVA_BYTE, 0, n);
                int sent = 0;
                while (sent < n) {
                    long w = Socket.send(fd, buf.asSlice(sent), n - sent, Socket.MSG_NOSIGNAL);
                    if (w == -Errno.EINTR) continue;
                    if (w == -Errno.EAGAIN) throw silent("send", "took none of the bytes sent");
                    sent += (int) Errno.check("send", w);
                }
                off += n;
            }
        }
    }

    /** Reads exactly {@code n} bytes; end of stream before that is an error. */
    byte[] readExactly(int n) throws IOException {
        byte[] got = new byte[n];
        int off = read(got, 0);
        if (off < n) throw new IOException("the server closed the connection after echoing " + off + " of " + n + " bytes");
        return got;
    }

    /** Reads until end of stream, at most {@code limit} bytes (one more is an error: more echo than was sent). */
    byte[] readToEof(int limit) throws IOException {
        byte[] got = new byte[limit + 1];
        int n = read(got, 0);
        if (n > limit) throw new IOException("the server echoed more than the " + limit + " bytes sent");
        return java.util.Arrays.copyOf(got, n);
    }

    /** Fills {@code into} from {@code off} until it is full or the stream ends; returns the bytes now in it. */
    private int read(byte[] into, int off) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(CHUNK);
            while (off < into.length) {
                long r = Socket.recv(fd, buf, Math.min(CHUNK, into.length - off), 0);
                if (r == -Errno.EINTR) continue;
                if (r == -Errno.EAGAIN) throw silent("recv", "echoed nothing");
                Errno.check("recv", r);
                if (r == 0) return off;
                MemorySegment.copy(buf, JAVA_BYTE, 0, into, off, (int) r);
                off += (int) r;
            }
            return off;
        }
    }

    /** shutdown(SHUT_WR): the server reads EOF and, being an echo server, closes after the last echo. */
    void shutdownWrite() throws SyscallException {
        Errno.check("shutdown", Socket.shutdown(fd, Socket.SHUT_WR));
    }

    private static IOException silent(String call, String what) {
        return new IOException(call + ": the server " + what + " for " + IO_TIMEOUT_MILLIS / 1000 + " s");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Unistd.close(fd); // close(2) releases the fd even when it reports an error (man 2 close: do not retry)
    }
}
