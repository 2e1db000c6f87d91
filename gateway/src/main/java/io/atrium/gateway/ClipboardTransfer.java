package io.atrium.gateway;

import java.util.Objects;

/**
 * One clipboard transfer the gateway saw on a console connection, and what it did with it: reported to
 * {@link GatewayListener#onClipboard} (for the audit log). It never carries the text.
 *
 * @param direction which way the text went (or would have gone)
 * @param bytes     the size of the text in bytes as sent (without a terminating NUL); {@code -1} when no text was
 *                  seen: an announcement that text is available, or a channel the policy closed
 * @param outcome   relayed or why not
 */
public record ClipboardTransfer(Direction direction, long bytes, Outcome outcome) {

    public ClipboardTransfer {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(outcome, "outcome");
        if (bytes < -1) {
            throw new IllegalArgumentException("bytes must be -1 or more: " + bytes);
        }
    }

    /** Which way clipboard text moves. */
    public enum Direction {
        /** Pasted in the browser, into the desktop. */
        BROWSER_TO_GUEST,
        /** Copied in the desktop, to the browser. */
        GUEST_TO_BROWSER
    }

    /** What the gateway did. */
    public enum Outcome {
        /** Passed on. */
        RELAYED,
        /** Dropped: the policy forbids this direction. */
        DROPPED_BY_POLICY,
        /** Dropped: larger than the policy's cap (or than QEMU takes). */
        DROPPED_OVER_CAP,
        /**
         * The viewer asked for the extended clipboard and the gateway removed it from the encodings it passed on,
         * because the policy forbids desktop-to-browser text: nothing can come from the desktop on this connection.
         */
        BLOCKED
    }
}
