package dev.ffmecho.server;

import dev.ffmecho.net.TCPConn;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Go 1.6's {@code io.Copy(conn, conn)} as it runs for two {@code *net.TCPConn}s: TCPConn's
 * {@code ReadFrom} finds no sendfile source and falls back to {@code genericReadFrom}, i.e.
 * {@code copyBuffer} with a {@code 32*1024} buffer (src/io/io.go): read up to 32 KiB, write all of
 * it, until EOF. The buffer is the caller's, reused for every connection: nothing is allocated per
 * message.
 */
public final class Copy {
    /** {@code copyBuffer}'s {@code make([]byte, 32*1024)}: hence {@code read(fd, …, 32768)} in strace. */
    public static final int BUFFER_SIZE = 32 * 1024;

    private Copy() {}

    /** @return bytes copied from {@code src} to {@code dst} until EOF on {@code src} */
    public static long copy(TCPConn dst, TCPConn src, MemorySegment buf) throws IOException {
        long written = 0;
        long size = Math.min(buf.byteSize(), BUFFER_SIZE);
        while (true) {
            long nr = src.read(buf, size);
            if (nr == 0) return written; // io.EOF
            written += dst.write(buf, nr);
        }
    }
}
