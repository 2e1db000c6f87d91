package io.atrium.vmm.qga;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The unix socket to QEMU's guest agent chardev, non-blocking, with every read and write bounded
 * by a deadline ({@link System#nanoTime()}). Nothing here blocks past a deadline: a guest that does
 * not read (no agent running: QEMU stops reading the chardev when the port is closed in the guest)
 * or does not answer costs the caller its timeout, never a hung thread. Not thread safe (the
 * client serialises its calls).
 */
final class QgaChannel implements AutoCloseable {

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;

    private QgaChannel(SocketChannel channel, Selector selector, SelectionKey key) {
        this.channel = channel;
        this.selector = selector;
        this.key = key;
    }

    /** Connects (a unix socket connect does not wait for the peer to accept). */
    static QgaChannel open(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            try {
                SelectionKey key = channel.register(selector, 0);
                return new QgaChannel(channel, selector, key);
            } catch (IOException | RuntimeException e) {
                selector.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Writes all of {@code buffer} before {@code deadline}.
     *
     * @return {@code false} if the deadline passed first (part of the buffer may have been written)
     */
    boolean write(ByteBuffer buffer, long deadline) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.write(buffer) > 0) {
                continue;
            }
            if (!await(SelectionKey.OP_WRITE, deadline)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads what is available into {@code buffer}, waiting until {@code deadline} for something.
     *
     * @return the number of bytes read, 0 if the deadline passed, -1 at end of stream
     */
    int read(ByteBuffer buffer, long deadline) throws IOException {
        while (true) {
            int n = channel.read(buffer);
            if (n != 0) {
                return n;
            }
            if (!await(SelectionKey.OP_READ, deadline)) {
                return 0;
            }
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Waits for {@code op}; {@code false} once the deadline passed. Interrupts end the wait. */
    private boolean await(int op, long deadline) throws IOException {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            return false;
        }
        key.interestOps(op);
        try {
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
        } finally {
            selector.selectedKeys().clear();
            key.interestOps(0);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("interrupted while waiting for the guest agent");
        }
        return true;
    }
}
