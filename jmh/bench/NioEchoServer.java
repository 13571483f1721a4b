import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * A plain, idiomatic JDK NIO echo server: the "what you would write without FFM" baseline of the
 * ffm-echo end-to-end benchmark. One thread, one Selector, one 64 KiB direct buffer for reading.
 * Each readable connection gets one read per wakeup, written straight back; a partial write keeps
 * the unsent bytes (a per-connection copy, attached to the key), switches the key from OP_READ to
 * OP_WRITE and reads nothing more from that connection until they are flushed (backpressure).
 *
 * usage: java NioEchoServer [PORT] [ADDR]      (defaults 10020 127.0.0.1)
 * SIGTERM/SIGINT: the JVM's shutdown hook wakes the selector, the loop closes everything.
 */
public final class NioEchoServer {
    private static volatile boolean stopping;

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 10020;
        String addr = args.length > 1 ? args[1] : "127.0.0.1";
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(addr, port), 65535);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        Thread loop = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            selector.wakeup();
            try {
                loop.join(3000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }));

        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        while (!stopping) {
            selector.select();
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                if (!key.isValid()) continue;
                if (key.isAcceptable()) {
                    try {
                        accept(server, selector);
                    } catch (IOException e) {
                        // e.g. EMFILE: the listener stays; the next select retries
                        System.err.println("NioEchoServer: accept: " + e.getMessage());
                    }
                    continue;
                }
                try {
                    if (key.isWritable()) {
                        flush(key);
                    } else if (key.isReadable()) {
                        echo(key, buf);
                    }
                } catch (IOException e) {
                    close(key);
                }
            }
        }
        for (SelectionKey key : selector.keys()) {
            try {
                key.channel().close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        selector.close();
    }

    private static void accept(ServerSocketChannel server, Selector selector) throws IOException {
        SocketChannel ch;
        while ((ch = server.accept()) != null) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.register(selector, SelectionKey.OP_READ);
        }
    }

    private static void echo(SelectionKey key, ByteBuffer buf) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
            close(key);
            return;
        }
        buf.flip();
        ch.write(buf);
        if (buf.hasRemaining()) {
            // Keep only what did not go out; stop reading this connection until it has.
            ByteBuffer rest = ByteBuffer.allocate(buf.remaining());
            rest.put(buf).flip();
            key.attach(rest);
            key.interestOps(SelectionKey.OP_WRITE);
        }
    }

    private static void flush(SelectionKey key) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        ByteBuffer rest = (ByteBuffer) key.attachment();
        ch.write(rest);
        if (!rest.hasRemaining()) {
            key.attach(null);
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private static void close(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
