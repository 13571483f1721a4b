package dev.ffmecho.poll;

import dev.ffmecho.sys.GoFunction;
import dev.ffmecho.sys.Errno;
import dev.ffmecho.sys.RawSockaddrAny;
import dev.ffmecho.sys.Socket;
import dev.ffmecho.sys.SyscallException;
import dev.ffmecho.sys.Unistd;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * A file descriptor registered with the {@link Netpoller}: Go's {@code internal/poll.FD}, which in
 * Go 1.6 still lived in {@code net/fd_unix.go} as {@code netFD}. Every I/O method is the same
 * shape — try the syscall; on EAGAIN park until epoll says ready; try again — and that shape is
 * written once, in {@link #retrying}.
 */
public final class FD {
    private final int sysfd;
    private final Netpoller poller;
    private final PollDesc pd;
    private boolean closed;

    private FD(int sysfd, Netpoller poller, PollDesc pd) {
        this.sysfd = sysfd;
        this.poller = poller;
        this.pd = pd;
    }

    /** {@code netFD.init} → {@code pollDesc.Init}: register a non-blocking fd with the poller. */
    public static FD open(int sysfd, Netpoller poller) throws SyscallException {
        return new FD(sysfd, poller, poller.open(sysfd));
    }

    public int sysfd() {
        return sysfd;
    }

    /** The syscalls {@link #retrying} knows how to repeat. */
    private enum Op { ACCEPT, READ, WRITE }

    /**
     * Go 1.6 {@code netFD.accept} + {@code sock_cloexec.go accept}: {@code accept4} with
     * {@code SOCK_NONBLOCK|SOCK_CLOEXEC} into {@code peer}, parking on EAGAIN.
     * @return the new connection's fd (not yet registered with the poller)
     */
    @GoFunction(value = "net.(*netFD).accept", note = "06-accept4-eagain.md")
    public int accept(RawSockaddrAny peer) throws SyscallException {
        pd.reset(PollDesc.READ); // fd.pd.PrepareRead()
        return (int) Errno.check("accept4", retrying(Op.ACCEPT, null, 0, peer));
    }

    /**
     * Go 1.6 {@code netFD.Read}: one {@code read(2)} of up to {@code count} bytes, parking on EAGAIN.
     * @return bytes read; 0 means EOF ({@code eofError})
     */
    @GoFunction(value = "net.(*netFD).Read", note = "06-accept4-eagain.md")
    public long read(MemorySegment buf, long count) throws SyscallException {
        pd.reset(PollDesc.READ); // fd.pd.PrepareRead()
        return Errno.check("read", retrying(Op.READ, buf, count, null));
    }

    /**
     * Go 1.6 {@code netFD.Write}: write all {@code count} bytes, continuing after partial writes and
     * parking on EAGAIN. Go turns a zero-byte write of a non-empty buffer into
     * {@code io.ErrUnexpectedEOF}; a socket never does that, but the loop must not spin if it did.
     */
    @GoFunction(value = "net.(*netFD).Write", note = "06-accept4-eagain.md")
    public long write(MemorySegment buf, long count) throws IOException {
        pd.reset(PollDesc.WRITE); // fd.pd.PrepareWrite()
        long done = 0;
        MemorySegment rest = buf;
        while (true) {
            long n = Errno.check("write", retrying(Op.WRITE, rest, count - done, null));
            done += n;
            if (done == count) return done;
            if (n == 0) throw new EOFException("write: 0 of " + (count - done) + " bytes written (Go: io.ErrUnexpectedEOF)");
            rest = buf.asSlice(done); // partial write: the rare path may allocate a slice
        }
    }

    /**
     * The loop every Go I/O method has: the syscall, then on EAGAIN {@code pd.Wait} and again.
     * EINTR is retried too: a JVM delivers signals to arbitrary threads (Go's
     * {@code ignoringEINTR}, Go 1.14+).
     * @return the syscall's result, or {@code -errno} for any failure but EAGAIN/EINTR
     */
    private long retrying(Op op, MemorySegment buf, long count, RawSockaddrAny peer) throws SyscallException {
        while (true) {
            long r = switch (op) {
                case ACCEPT -> Socket.accept4(sysfd, peer, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
                case READ -> Unistd.read(sysfd, buf, count);
                case WRITE -> Unistd.write(sysfd, buf, count);
            };
            if (r == -Errno.EAGAIN) {
                poller.park(pd, op == Op.WRITE ? PollDesc.WRITE : PollDesc.READ);
            } else if (r != -Errno.EINTR) {
                return r;
            }
        }
    }

    /**
     * Go's {@code netFD.destroy}: {@code pd.Close()} (EPOLL_CTL_DEL) then {@code close(2)}.
     * Idempotent; the fd number is released by the kernel even when close reports an error.
     */
    @GoFunction(value = "net.(*netFD).destroy", note = "05-epoll.md")
    public void close() throws SyscallException {
        if (closed) return;
        closed = true;
        try {
            poller.close(pd);
        } finally {
            Errno.check("close", Unistd.close(sysfd));
        }
    }
}
