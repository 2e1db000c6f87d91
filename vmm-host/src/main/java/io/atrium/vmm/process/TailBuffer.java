package io.atrium.vmm.process;

import java.nio.charset.StandardCharsets;

/**
 * Keeps the last {@code capacity} bytes written to it (a ring buffer), so reading a tool's output
 * takes bounded memory however much it writes. Thread safe: one reader thread appends, the runner
 * takes snapshots.
 */
final class TailBuffer {

    private final byte[] ring;
    private long total;

    TailBuffer(int capacity) {
        this.ring = new byte[capacity];
    }

    synchronized void append(byte[] data, int offset, int length) {
        if (length >= ring.length) {
            System.arraycopy(data, offset + length - ring.length, ring, 0, ring.length);
            total += length;
            // the ring now starts at index total % capacity; re-align so that it does
            rotateTo((int) (total % ring.length));
            return;
        }
        int start = (int) (total % ring.length);
        int first = Math.min(length, ring.length - start);
        System.arraycopy(data, offset, ring, start, first);
        System.arraycopy(data, offset + first, ring, 0, length - first);
        total += length;
    }

    /** Bytes written in all, including dropped ones. */
    synchronized long total() {
        return total;
    }

    synchronized boolean truncated() {
        return total > ring.length;
    }

    /** The kept bytes, oldest first. */
    synchronized byte[] bytes() {
        if (total <= ring.length) {
            byte[] copy = new byte[(int) total];
            System.arraycopy(ring, 0, copy, 0, copy.length);
            return copy;
        }
        int start = (int) (total % ring.length);
        byte[] copy = new byte[ring.length];
        System.arraycopy(ring, start, copy, 0, ring.length - start);
        System.arraycopy(ring, 0, copy, ring.length - start, start);
        return copy;
    }

    String text() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** After a full overwrite the oldest byte is at index 0; move it to where {@code total} says it is. */
    private void rotateTo(int start) {
        if (start == 0) {
            return;
        }
        byte[] copy = ring.clone();
        System.arraycopy(copy, 0, ring, start, ring.length - start);
        System.arraycopy(copy, ring.length - start, ring, 0, start);
    }
}
