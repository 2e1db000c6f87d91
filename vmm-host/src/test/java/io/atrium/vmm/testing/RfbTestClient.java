package io.atrium.vmm.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A minimal RFB 3.8 client on a VM's VNC unix socket: handshake with security None, a shared ClientInit, then either
 * SetEncodings with ExtendedDesktopSize to ask QEMU for another desktop size ({@link #connect}, {@link
 * #setDesktopSize}; it reads nothing after ServerInit, the test closes the client soon), or SetEncodings with the
 * extended clipboard only ({@link #connectForClipboard}: it never asks for framebuffer updates, so what QEMU sends
 * is cut text and bells) to exchange text with the guest's clipboard agent.
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

    /** Extended clipboard flags (the format bit for text and the action bits). */
    public static final int CLIPBOARD_TEXT = 1;
    public static final int CLIPBOARD_CAPS = 1 << 24;
    public static final int CLIPBOARD_REQUEST = 1 << 25;
    public static final int CLIPBOARD_NOTIFY = 1 << 27;
    public static final int CLIPBOARD_PROVIDE = 1 << 28;

    /** A client that can ask for another desktop size. */
    public static RfbTestClient connect(Path vncSocket) throws IOException {
        return connect(vncSocket, -308, -223, 0);
    }

    /** A client that only speaks the extended clipboard (and asks for no framebuffer updates). */
    public static RfbTestClient connectForClipboard(Path vncSocket) throws IOException {
        RfbTestClient client = connect(vncSocket, 0xC0A1E5CE);
        client.channel.configureBlocking(false);
        return client;
    }

    private static RfbTestClient connect(Path vncSocket, int... encodingTypes) throws IOException {
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
        ByteBuffer encodings = ByteBuffer.allocate(4 + encodingTypes.length * 4).put((byte) 2).put((byte) 0)
                .putShort((short) encodingTypes.length);
        for (int type : encodingTypes) {
            encodings.putInt(type);
        }
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

    /** What QEMU sent on the extended clipboard: its flags and the payload (inflated for a provide). */
    public record ServerClipboard(int flags, byte[] data) {
        public boolean has(int flag) {
            return (flags & flag) == flag;
        }

        /** Whether this is a caps message (its other action bits then name what the server supports). */
        public boolean isCaps() {
            return has(CLIPBOARD_CAPS);
        }

        /** The text of a provide: its length-prefixed, NUL-terminated UTF-8. */
        public String text() {
            ByteBuffer b = ByteBuffer.wrap(data);
            byte[] text = new byte[b.getInt()];
            b.get(text);
            int length = text.length > 0 && text[text.length - 1] == 0 ? text.length - 1 : text.length;
            return new String(text, 0, length, StandardCharsets.UTF_8);
        }
    }

    /** Tells QEMU the client has text on its clipboard (it asks for it once the guest wants it). */
    public void clipboardNotify() throws IOException {
        writeClipboard(CLIPBOARD_NOTIFY | CLIPBOARD_TEXT, new byte[0]);
    }

    /** Asks QEMU for the text on the guest's clipboard. */
    public void clipboardRequest() throws IOException {
        writeClipboard(CLIPBOARD_REQUEST | CLIPBOARD_TEXT, new byte[0]);
    }

    /** Sends the client's text (answering QEMU's request). */
    public void clipboardProvide(String text) throws IOException {
        byte[] utf8 = (text + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer plain = ByteBuffer.allocate(4 + utf8.length).putInt(utf8.length).put(utf8);
        Deflater deflater = new Deflater();
        deflater.setInput(plain.array());
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (!deflater.finished()) {
            out.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        writeClipboard(CLIPBOARD_PROVIDE | CLIPBOARD_TEXT, out.toByteArray());
    }

    /** The next extended clipboard message from QEMU (bells are skipped), or an exception after {@code timeout}. */
    public ServerClipboard readClipboard(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int type = readWithin(1, deadline).get() & 0xFF;
            if (type == 2) {
                continue; // Bell
            }
            if (type != 3) {
                throw new IOException("unexpected server message type " + type);
            }
            ByteBuffer header = readWithin(7, deadline);
            int length = header.getInt(3);
            if (length >= 0) {
                throw new IOException("classic cut text, not the extended clipboard");
            }
            ByteBuffer body = readWithin(-length, deadline);
            int flags = body.getInt();
            byte[] data = new byte[body.remaining()];
            body.get(data);
            // A caps message names the actions QEMU supports (provide among them): caps takes precedence.
            if ((flags & CLIPBOARD_CAPS) == 0 && (flags & CLIPBOARD_PROVIDE) != 0) {
                data = inflate(data);
            }
            return new ServerClipboard(flags, data);
        }
    }

    private void writeClipboard(int flags, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12 + payload.length).put((byte) 6).put(new byte[3])
                .putInt(-(4 + payload.length)).putInt(flags).put(payload);
        write(channel, b.array());
    }

    private ByteBuffer readWithin(int n, long deadline) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            while (b.hasRemaining()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    throw new IOException("no clipboard message from the VNC server in time");
                }
                selector.select(left);
                if (channel.read(b) < 0) {
                    throw new IOException("VNC server closed the connection");
                }
            }
        }
        return b.flip();
    }

    private static byte[] inflate(byte[] data) throws IOException {
        Inflater inflater = new Inflater();
        inflater.setInput(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            while (!inflater.finished() && !inflater.needsInput()) {
                out.write(buffer, 0, inflater.inflate(buffer));
            }
        } catch (DataFormatException e) {
            throw new IOException("provide payload does not inflate", e);
        } finally {
            inflater.end();
        }
        return out.toByteArray();
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
