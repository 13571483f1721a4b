package dev.ffmecho.server;

import dev.ffmecho.net.TCPConn;
import dev.ffmecho.poll.Splice;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * {@code io.Copy(conn, conn)} (src/io/io.go {@code copyBuffer}): the destination is a
 * {@code *net.TCPConn}, an {@code io.ReaderFrom}, so io.Copy hands the whole copy to
 * {@link TCPConn#readFrom}, where the profile decides: go1.6 reads up to 32 KiB and writes it all,
 * until EOF (its {@code genericReadFrom} allocates {@code 32*1024}, hence {@code read(fd, …, 32768)});
 * go1.19 splices. The buffer is the caller's, reused for every connection: nothing is allocated per
 * message.
 */
public final class Copy {
    /** {@code copyBuffer}'s {@code make([]byte, 32*1024)}: hence {@code read(fd, …, 32768)} in strace. */
    public static final int BUFFER_SIZE = TCPConn.GENERIC_COPY_BUFFER;

    private Copy() {}

    /** @return bytes copied from {@code src} to {@code dst} until EOF on {@code src} */
    public static long copy(TCPConn dst, TCPConn src, MemorySegment buf, Splice splice) throws IOException {
        return dst.readFrom(src, buf.asSlice(0, Math.min(buf.byteSize(), BUFFER_SIZE)), splice);
    }
}
