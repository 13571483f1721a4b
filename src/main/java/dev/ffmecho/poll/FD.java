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

    /** The syscalls {@link #retrying} knows how to repeat, and which readiness each waits for. */
    private enum Op {
        ACCEPT(PollDesc.READ), READ(PollDesc.READ), WRITE(PollDesc.WRITE),
        /** splice(2) from this socket into a pipe. */
        SPLICE_IN(PollDesc.READ),
        /** splice(2) from a pipe into this socket. */
        SPLICE_OUT(PollDesc.WRITE);

        final int mode;

        Op(int mode) {
            this.mode = mode;
        }
    }

    /**
     * Go 1.6 {@code netFD.accept} + {@code sock_cloexec.go accept}: {@code accept4} with
     * {@code SOCK_NONBLOCK|SOCK_CLOEXEC} into {@code peer}, parking on EAGAIN.
     * @return the new connection's fd (not yet registered with the poller)
     */
    @GoFunction(value = "net.(*netFD).accept", note = "06-accept4-eagain.md")
    public int accept(RawSockaddrAny peer) throws SyscallException {
        poller.reset(pd, PollDesc.READ); // fd.pd.PrepareRead()
        return (int) Errno.check("accept4", retrying(Op.ACCEPT, null, 0, peer, -1));
    }

    /**
     * Go 1.6 {@code netFD.Read}: one {@code read(2)} of up to {@code count} bytes, parking on EAGAIN.
     * @return bytes read; 0 means EOF ({@code eofError})
     */
    @GoFunction(value = "net.(*netFD).Read", note = "06-accept4-eagain.md")
    public long read(MemorySegment buf, long count) throws SyscallException {
        poller.reset(pd, PollDesc.READ); // fd.pd.PrepareRead()
        return Errno.check("read", retrying(Op.READ, buf, count, null, -1));
    }

    /**
     * Go 1.6 {@code netFD.Write}: write all {@code count} bytes, continuing after partial writes and
     * parking on EAGAIN. Go turns a zero-byte write of a non-empty buffer into
     * {@code io.ErrUnexpectedEOF}; a socket never does that, but the loop must not spin if it did.
     */
    @GoFunction(value = "net.(*netFD).Write", note = "06-accept4-eagain.md")
    public long write(MemorySegment buf, long count) throws IOException {
        poller.reset(pd, PollDesc.WRITE); // fd.pd.PrepareWrite()
        long done = 0;
        MemorySegment rest = buf;
        while (true) {
            long n = Errno.check("write", retrying(Op.WRITE, rest, count - done, null, -1));
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
    private long retrying(Op op, MemorySegment buf, long count, RawSockaddrAny peer, int pipe) throws SyscallException {
        while (true) {
            long r = switch (op) {
                case ACCEPT -> Socket.accept4(sysfd, peer, Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC);
                case READ -> Unistd.read(sysfd, buf, count);
                case WRITE -> Unistd.write(sysfd, buf, count);
                case SPLICE_IN -> Unistd.splice(sysfd, pipe, count, Unistd.SPLICE_F_NONBLOCK);
                case SPLICE_OUT -> Unistd.splice(pipe, sysfd, count, Unistd.SPLICE_F_NONBLOCK);
            };
            if (r == -Errno.EAGAIN) {
                poller.park(pd, op.mode);
            } else if (r != -Errno.EINTR) {
                return r;
            }
        }
    }

    /**
     * go1.19 internal/poll/splice_linux.go {@code spliceDrain}: move up to {@code max} bytes from
     * this socket into the pipe's write end, parking on EAGAIN.
     * @return bytes now in the pipe; 0 means EOF
     */
    @GoFunction(value = "internal/poll.spliceDrain", note = "12-go-versions.md")
    long spliceIntoPipe(int pipeWfd, long max) throws SyscallException {
        poller.reset(pd, PollDesc.READ);
        return Errno.check("splice", retrying(Op.SPLICE_IN, null, max, null, pipeWfd));
    }

    /**
     * go1.19 {@code splicePump}: move all {@code inPipe} bytes from the pipe's read end into this
     * socket, continuing partial moves and parking on EAGAIN.
     */
    @GoFunction(value = "internal/poll.splicePump", note = "12-go-versions.md")
    long spliceFromPipe(int pipeRfd, long inPipe) throws SyscallException {
        poller.reset(pd, PollDesc.WRITE);
        long written = 0;
        while (written < inPipe) {
            written += Errno.check("splice", retrying(Op.SPLICE_OUT, null, inPipe - written, null, pipeRfd));
        }
        return written;
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
