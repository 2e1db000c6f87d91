package io.atrium.gateway;

/**
 * What one console connection may do with the clipboard, as a value handed over with the {@link ConsoleTarget}
 * (the broker decides it from the desktop's pool). The gateway enforces it in the RFB stream
 * ({@code io.atrium.gateway.rfb}): text the policy forbids, or longer than {@link #maxBytes()}, is dropped there,
 * whatever the browser does.
 *
 * @param browserToGuest whether text may go from the browser into the desktop
 * @param guestToBrowser whether text may go from the desktop to the browser
 * @param maxBytes       the largest text allowed in either direction, in bytes as sent (UTF-8 for the extended
 *                       clipboard, Latin-1 for the classic one); {@code 0..}{@value #MAX_BYTES}
 */
public record ClipboardPolicy(boolean browserToGuest, boolean guestToBrowser, int maxBytes) {

    /**
     * The largest clipboard text QEMU takes: a {@code ClientCutText} over 1 MiB makes its VNC server drop the client,
     * and it inflates an extended clipboard message to at most 1 MiB.
     */
    public static final int MAX_BYTES = 1 << 20;

    /** No clipboard in either direction: what a target gets when its redeemer names no policy. */
    public static final ClipboardPolicy NONE = new ClipboardPolicy(false, false, 0);

    public ClipboardPolicy {
        if (maxBytes < 0 || maxBytes > MAX_BYTES) {
            throw new IllegalArgumentException("maxBytes must be 0.." + MAX_BYTES + ": " + maxBytes);
        }
    }

    /** Both directions, up to {@code maxBytes}. */
    public static ClipboardPolicy both(int maxBytes) {
        return new ClipboardPolicy(true, true, maxBytes);
    }

    /** Whether the direction is allowed at all. */
    public boolean allows(ClipboardTransfer.Direction direction) {
        return switch (direction) {
            case BROWSER_TO_GUEST -> browserToGuest;
            case GUEST_TO_BROWSER -> guestToBrowser;
        };
    }
}
