import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The JDK's own answer to Go's concurrent echo server, the peer of {@code ffm-echo --mode goroutine}
 * in the goroutine benchmark: one virtual thread per connection doing blocking
 * {@link SocketChannel} reads and writes, the shape of Go's {@code go handle(conn)} with
 * {@code io.Copy(conn, conn)} — with nothing but java.nio and virtual threads (the JDK parks a
 * virtual thread that would block and polls its socket with its own epoll poller).
 *
 * <p>Per connection: a virtual thread and a {@value #DEFAULT_BUFFER_BYTES}-byte direct buffer
 * (the size of the buffer Go's io.Copy makes, src/io/io.go:copyBuffer {@code make([]byte, 32*1024)},
 * and of ffm-echo's per-connection native buffer in goroutine mode; direct, like ffm-echo's, so a
 * read goes straight into it without the JDK's copy through a temporary direct buffer).
 * TCP_NODELAY is set on every accepted connection because Go sets it (src/net/tcpsock.go:newTCPConn
 * at go1.19, tcpsock_posix.go at go1.6). The accept loop runs in a virtual thread too, as Go's main
 * goroutine does.
 *
 * <p>usage: {@code java VThreadEchoServer [PORT] [ADDR] [BUFFER_BYTES]} (defaults 10020 127.0.0.1 32768).
 * Prints nothing per connection. SIGTERM/SIGINT end the JVM (every thread here is a virtual thread,
 * so nothing holds it up).
 */
public final class VThreadEchoServer {
    static final int DEFAULT_BUFFER_BYTES = 32 * 1024;
    /** Linux caps it at net.core.somaxconn, which is what Go asks for (net/sock_linux.go:maxListenerBacklog). */
    private static final int BACKLOG = 65535;

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 10020;
        String addr = args.length > 1 ? args[1] : "127.0.0.1";
        int bufferBytes = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_BUFFER_BYTES;
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(addr, port), BACKLOG);
        Thread acceptor = Thread.ofVirtual().name("accept").start(() -> acceptForever(server, bufferBytes));
        acceptor.join();
    }

    /** Go's {@code for { conn, err := ln.Accept(); ...; go handle(conn) }}. */
    private static void acceptForever(ServerSocketChannel server, int bufferBytes) {
        while (true) {
            SocketChannel conn;
            try {
                conn = server.accept();
            } catch (IOException e) {
                // e.g. EMFILE: like the Go program, say it and accept again, but not in a hot loop
                System.err.println("VThreadEchoServer: accept: " + e.getMessage());
                sleepQuietly(10);
                continue;
            }
            Thread.ofVirtual().start(() -> echoUntilEof(conn, bufferBytes));
        }
    }

    /** Go's {@code handle}: {@code defer conn.Close(); io.Copy(conn, conn)}. */
    private static void echoUntilEof(SocketChannel conn, int bufferBytes) {
        try (conn) {
            conn.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer buf = ByteBuffer.allocateDirect(bufferBytes);
            while (conn.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    conn.write(buf);
                }
                buf.clear();
            }
        } catch (IOException e) {
            // a reset by the client ends the copy, as io.Copy returns its error: nothing to report
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
