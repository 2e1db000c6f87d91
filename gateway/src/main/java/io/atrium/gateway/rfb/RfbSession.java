package io.atrium.gateway.rfb;

import io.atrium.gateway.ClipboardPolicy;

/**
 * What the two directions of one RFB connection learn from each other: the protocol version and security type the
 * client chose, the security type a 3.3 server decided, and the pixel format of the server's framebuffer updates.
 *
 * <p>Each field is written by one direction's parser and read by the other's, always for bytes the other side sends
 * only after it received the bytes that set the field (the server answers the client's version, the client answers
 * the server's 3.3 security type, the server sends pixels after the client's {@code SetPixelFormat}), so a value is
 * set before it is needed; fields are volatile because the directions run on different threads.
 *
 * <p>The pixel format may change only before the client's first {@code SetEncodings} or
 * {@code FramebufferUpdateRequest} ({@link #lockPixelFormat}) and, later, through the server's own WMVi rectangle:
 * a change while updates may be in flight could not be placed in the server's stream.
 */
public final class RfbSession {

    private final ClipboardPolicy clipboard;
    private volatile int clientMinor = -1;
    private volatile int securityType = -1;
    private volatile PixelFormat pixelFormat;
    private volatile boolean pixelFormatLocked;
    private volatile boolean extendedClipboard;

    public RfbSession(ClipboardPolicy clipboard) {
        this.clipboard = java.util.Objects.requireNonNull(clipboard, "clipboard");
    }

    /** A parser for the browser's (client's) bytes of this connection. */
    public ClientStreamParser clientParser(ClipboardEvents events) {
        return new ClientStreamParser(this, events);
    }

    /** A parser for the VNC server's bytes of this connection. */
    public ServerStreamParser serverParser(ClipboardEvents events) {
        return new ServerStreamParser(this, events);
    }

    public ClipboardPolicy clipboard() {
        return clipboard;
    }

    /** The minor version the client chose (3, 7 or 8), or -1 before it did. */
    int clientMinor() {
        return clientMinor;
    }

    void clientMinor(int minor) {
        clientMinor = minor;
    }

    /** The security type in use (1 none, 2 VNC authentication), or -1 before it is known. */
    int securityType() {
        return securityType;
    }

    void securityType(int type) {
        securityType = type;
    }

    PixelFormat pixelFormat() {
        return pixelFormat;
    }

    void pixelFormat(PixelFormat format) {
        pixelFormat = format;
    }

    boolean pixelFormatLocked() {
        return pixelFormatLocked;
    }

    void lockPixelFormat() {
        pixelFormatLocked = true;
    }

    /** Whether the encodings passed to the server include the extended clipboard. */
    boolean extendedClipboard() {
        return extendedClipboard;
    }

    void extendedClipboard(boolean on) {
        extendedClipboard = on;
    }
}
