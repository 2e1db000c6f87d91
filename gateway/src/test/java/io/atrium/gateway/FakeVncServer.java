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
 * A stand-in for a VM's VNC server on a real unix domain socket. It speaks enough RFB 3.8 for the gateway's checks:
 * the greeting, then (once the client sent its version) security type None, the security result and a ServerInit
 * ({@link #SERVER_HANDSHAKE}), then its behaviour.
 */
final class FakeVncServer implements AutoCloseable {

    static final byte[] GREETING = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);
    /** What the client sends for the handshake: version 3.8, security type None, ClientInit (shared). */
    static final byte[] CLIENT_HANDSHAKE = concat("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII), new byte[] {1, 1});
    /** The server's part after the greeting: one security type (None), result OK, ServerInit 1280x800 32 bpp "fake". */
    static final byte[] SERVER_HANDSHAKE = concat(new byte[] {1, 1, 0, 0, 0, 0}, serverInit(1280, 800, "fake"));
    /** Everything the server sends before its first message. */
    static final int PREFIX = GREETING.length + SERVER_HANDSHAKE.length;
    /** The Bell message the echo behaviour answers every received message byte with. */
    static final byte BELL = 2;

    static byte[] serverInit(int width, int height, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(24 + n.length);
        b.putShort((short) width).putShort((short) height);
        b.put(new byte[] {32, 24, 0, 1}).putShort((short) 255).putShort((short) 255).putShort((short) 255);
        b.put(new byte[] {16, 8, 0, 0, 0, 0});
        b.putInt(n.length).put(n);
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /**
     * After the greeting: reads the client's version, security choice and ClientInit, answering with
     * {@link #SERVER_HANDSHAKE}; false if the client went away first.
     */
    static boolean handshake(SocketChannel channel, FakeVncServer server) throws IOException {
        if (!readFully(channel, 12)) {
            return false;
        }
        server.write(channel, ByteBuffer.wrap(SERVER_HANDSHAKE, 0, 2));
        if (!readFully(channel, 1)) {
            return false;
        }
        server.write(channel, ByteBuffer.wrap(SERVER_HANDSHAKE, 2, 4));
        if (!readFully(channel, 1)) {
            return false;
        }
        server.write(channel, ByteBuffer.wrap(SERVER_HANDSHAKE, 6, SERVER_HANDSHAKE.length - 6));
        return true;
    }

    private static boolean readFully(SocketChannel channel, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    @FunctionalInterface
    interface Behaviour {
        void serve(SocketChannel channel, FakeVncServer server) throws IOException;
    }

    /**
     * Sends the RFB greeting and, once the client answers, the rest of the handshake; then keeps every byte it
     * receives ({@link #received()}) and answers each with a Bell, until EOF: an echo in RFB terms.
     */
    static final Behaviour GREET_AND_ECHO = (channel, server) -> {
        server.write(channel, ByteBuffer.wrap(GREETING));
        if (!handshake(channel, server)) {
            server.peerClosed.incrementAndGet();
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
        byte[] bells = new byte[buffer.capacity()];
        java.util.Arrays.fill(bells, BELL);
        while (true) {
            buffer.clear();
            int read = channel.read(buffer);
            if (read < 0) {
                server.peerClosed.incrementAndGet();
                return;
            }
            server.bytesRead.addAndGet(read);
            synchronized (server.received) {
                server.received.write(buffer.array(), 0, read);
            }
            server.write(channel, ByteBuffer.wrap(bells, 0, read));
        }
    };

    /** Sends the RFB greeting, then closes (like a VM that powers off). */
    static final Behaviour GREET_AND_CLOSE = (channel, server) -> server.write(channel, ByteBuffer.wrap(GREETING));

    /**
     * After the handshake, one framebuffer update with one Raw rectangle of {@code total} bytes (a multiple of
     * 16384: 4096 pixels of 4 bytes a row) holding {@link #pattern(long)}, written in random chunk sizes; then closes.
     * The client sees {@link #floodPrefix} bytes before the pattern.
     */
    static Behaviour flood(long total) {
        if (total % (4096 * 4) != 0 || total / (4096 * 4) > 0xFFFF) {
            throw new IllegalArgumentException("flood of " + total + " bytes");
        }
        return (channel, server) -> {
            server.write(channel, ByteBuffer.wrap(GREETING));
            if (!handshake(channel, server)) {
                return;
            }
            ByteBuffer update = ByteBuffer.allocate(16);
            update.put(new byte[] {0, 0}).putShort((short) 1);
            update.putShort((short) 0).putShort((short) 0).putShort((short) 4096).putShort((short) (total / (4096 * 4)));
            update.putInt(0);
            server.write(channel, update.flip());
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

    /** What a client receives of a {@link #flood} before the pattern: the handshake and the update's headers. */
    static int floodPrefix() {
        return PREFIX + 16;
    }

    /** The deterministic byte at {@code offset} of a {@link #flood} stream's pixels. */
    static byte pattern(long offset) {
        return (byte) ((offset * 31 + (offset >>> 13)) & 0xFF);
    }

    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicLong bytesRead = new AtomicLong();
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger peerClosed = new AtomicInteger();
    private final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();

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

    /** What the echo behaviour received after the handshake. */
    byte[] received() {
        synchronized (received) {
            return received.toByteArray();
        }
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
