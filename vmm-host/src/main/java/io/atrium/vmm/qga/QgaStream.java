package io.atrium.vmm.qga;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qmp.QmpFrameDecoder;
import java.util.ArrayDeque;

/**
 * Splits the byte stream from the guest agent into items: JSON frames, the {@code 0xFF} delimiter
 * that precedes the reply to {@code guest-sync-delimited}, and garbage. A state machine fed with
 * whatever chunks the socket returns; it answers "need more bytes" by yielding nothing.
 *
 * <ul>
 *   <li>{@code 0xFF} never occurs in UTF-8 JSON, so it is recognised anywhere: a partial frame
 *       before it is dropped and a {@link Item#DELIMITER} is queued.</li>
 *   <li>Bytes that cannot be framed (a byte that cannot start an object, a frame over the limit)
 *       queue one {@link Garbage} item, and everything up to the next {@code 0xFF} is skipped:
 *       after a framing error the frame boundaries are lost, and only a delimiter restores them.</li>
 * </ul>
 * Memory: at most one partial frame (bounded by the frame limit) plus the items of the chunk last
 * fed. Not thread safe.
 */
final class QgaStream {

    static final byte DELIMITER_BYTE = (byte) 0xFF;

    /** What {@link #poll()} returns. */
    sealed interface Item permits Frame, Delimiter, Garbage {
        Item DELIMITER = new Delimiter();
    }

    /** One complete JSON object (not yet parsed). */
    record Frame(byte[] json) implements Item {
    }

    /** The {@code 0xFF} byte. */
    record Delimiter() implements Item {
    }

    /** Bytes that could not be framed; everything up to the next delimiter is skipped. */
    record Garbage(String reason) implements Item {
    }

    private final int maxFrame;
    private final ArrayDeque<Item> items = new ArrayDeque<>();
    private QmpFrameDecoder decoder;
    private boolean skipping;

    QgaStream(int maxFrame) {
        this.maxFrame = maxFrame;
        this.decoder = new QmpFrameDecoder(maxFrame);
    }

    /** Consumes {@code count} bytes of {@code data} from {@code offset}. */
    void feed(byte[] data, int offset, int count) {
        int end = offset + count;
        int i = offset;
        while (i < end) {
            int delimiter = indexOf(data, i, end);
            int stop = delimiter < 0 ? end : delimiter;
            if (!skipping && stop > i) {
                try {
                    decoder.feed(data, i, stop - i, frame -> items.add(new Frame(frame)));
                } catch (VmmException e) {
                    items.add(new Garbage(e.getMessage()));
                    skipping = true;
                }
            }
            if (delimiter < 0) {
                return;
            }
            decoder = new QmpFrameDecoder(maxFrame);
            skipping = false;
            items.add(Item.DELIMITER);
            i = delimiter + 1;
        }
    }

    /** The next item, or {@code null} if more bytes are needed. */
    Item poll() {
        return items.poll();
    }

    /**
     * Forgets queued items and any partial frame, and skips bytes until the next delimiter: what
     * the client does before it resynchronises.
     */
    void discardUntilDelimiter() {
        items.clear();
        decoder = new QmpFrameDecoder(maxFrame);
        skipping = true;
    }

    private static int indexOf(byte[] data, int from, int end) {
        for (int i = from; i < end; i++) {
            if (data[i] == DELIMITER_BYTE) {
                return i;
            }
        }
        return -1;
    }
}
