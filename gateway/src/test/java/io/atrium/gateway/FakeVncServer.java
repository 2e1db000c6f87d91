package io.atrium.gateway;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for a VM's VNC server on a real unix domain socket.
 */
final class FakeVncServer implements AutoCloseable {

    static final byte[] GREETING = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);

    @FunctionalInterface
    interface Behaviour {
        void serve(SocketChannel channel, FakeVncServer server) throws IOException;
    }

    /** Sends the RFB greeting, then echoes everything until EOF. */
    static final Behaviour GREET_AND_ECHO = (channel, server) -> {
        server.write(channel, ByteBuffer.wrap(GREETING));
        ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
        while (true) {
            buffer.clear();
            int read = channel.read(buffer);
            if (read < 0) {
                server.peerClosed.incrementAndGet();
                return;
            }
            server.bytesRead.addAndGet(read);
            buffer.flip();
            server.write(channel, buffer);
        }
    };

    /** Sends the RFB greeting, then closes (like a VM that powers off). */
    static final Behaviour GREET_AND_CLOSE = (channel, server) -> server.write(channel, ByteBuffer.wrap(GREETING));

    /** Writes {@code total} bytes of {@link #pattern(long)} in random chunk sizes, then closes. */
    static Behaviour flood(long total) {
        return (channel, server) -> {
            Random random = new Random(42);
            long offset = 0;
            while (offset < total) {
                int size = (int) Math.min(total - offset, 1 + random.nextInt(256 * 1024));
                ByteBuffer chunk = ByteBuffer.allocate(size);
                for (int i = 0; i < size; i++) {
                    chunk.put(pattern(offset + i));
                }
                chunk.flip();
                server.write(channel, chunk);
                offset += size;
            }
        };
    }

    /** The deterministic byte at {@code offset} of a {@link #flood} stream. */
    static byte pattern(long offset) {
        return (byte) ((offset * 31 + (offset >>> 13)) & 0xFF);
    }

    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger peerClosed = new AtomicInteger();

    private final Path path;
    private final Behaviour behaviour;
    private final ServerSocketChannel server;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();

    FakeVncServer(Path path, Behaviour behaviour) throws IOException {
        this.path = path;
        this.behaviour = behaviour;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread.ofVirtual().name("fake-vnc-accept").start(this::acceptLoop);
    }

    Path path() {
        return path;
    }

    private void acceptLoop() {
        try {
            while (server.isOpen()) {
                SocketChannel channel = server.accept();
                accepted.incrementAndGet();
                clients.add(channel);
                Thread.ofVirtual().name("fake-vnc-client").start(() -> {
                    try (channel) {
                        behaviour.serve(channel, this);
                    } catch (IOException e) {
                        peerClosed.incrementAndGet();
                    } finally {
                        clients.remove(channel);
                    }
                });
            }
        } catch (IOException e) {
            // server closed
        }
    }

    private void write(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            bytesWritten.addAndGet(channel.write(buffer));
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel client : clients) {
            client.close();
        }
        Files.deleteIfExists(path);
    }
}
