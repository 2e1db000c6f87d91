package io.atrium.vmm.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A minimal RFB 3.8 client on a VM's VNC unix socket, enough to ask QEMU for another desktop size: handshake with
 * security None, a shared ClientInit, SetEncodings with ExtendedDesktopSize, then {@link #setDesktopSize}. It reads
 * nothing after ServerInit (QEMU keeps sending on its own buffers; the test closes the client soon).
 */
public final class RfbTestClient implements AutoCloseable {

    private final SocketChannel channel;
    private final int width;
    private final int height;

    private RfbTestClient(SocketChannel channel, int width, int height) {
        this.channel = channel;
        this.width = width;
        this.height = height;
    }

    public static RfbTestClient connect(Path vncSocket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(vncSocket));
        read(channel, 12);
        write(channel, "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        int types = read(channel, 1).get() & 0xFF;
        ByteBuffer offered = read(channel, types);
        boolean none = false;
        while (offered.hasRemaining()) {
            none |= offered.get() == 1;
        }
        if (!none) {
            throw new IOException("the VNC server does not offer security type None");
        }
        write(channel, new byte[] {1});
        if (read(channel, 4).getInt() != 0) {
            throw new IOException("security handshake failed");
        }
        write(channel, new byte[] {1});
        ByteBuffer init = read(channel, 24);
        int w = init.getShort(0) & 0xFFFF;
        int h = init.getShort(2) & 0xFFFF;
        read(channel, init.getInt(20));
        ByteBuffer encodings = ByteBuffer.allocate(4 + 3 * 4).put((byte) 2).put((byte) 0).putShort((short) 3)
                .putInt(-308).putInt(-223).putInt(0);
        write(channel, encodings.array());
        return new RfbTestClient(channel, w, h);
    }

    /** The framebuffer size of ServerInit. */
    public String initialSize() {
        return width + "x" + height;
    }

    /** Asks for a desktop of {@code w x h} (SetDesktopSize, one screen). */
    public void setDesktopSize(int w, int h) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24).put((byte) 251).put((byte) 0).putShort((short) w).putShort((short) h)
                .put((byte) 1).put((byte) 0).putInt(0).putShort((short) 0).putShort((short) 0).putShort((short) w)
                .putShort((short) h).putInt(0);
        write(channel, b.array());
    }

    private static ByteBuffer read(SocketChannel channel, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new IOException("VNC server closed the connection");
            }
        }
        return b.flip();
    }

    private static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
