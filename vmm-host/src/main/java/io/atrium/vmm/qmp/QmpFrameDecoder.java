package io.atrium.vmm.qmp;

import io.atrium.vmm.VmmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits a QMP byte stream into complete JSON objects, independent of how the bytes were chunked
 * by the socket. QEMU sends one object per line, but the decoder does not rely on newlines: it is
 * a small state machine that tracks object nesting and string/escape state, so a frame is complete
 * exactly when its outermost '}' arrives. Bytes of a partial frame are kept until more arrive
 * ("need more bytes"). Structural characters are ASCII, so multi-byte UTF-8 content is safe.
 *
 * <p>Memory is bounded by the frame limit: a frame over it fails the decoder, and the buffer shrinks
 * back after a large frame, so one big message does not pin its size for the connection's life.
 * Also used for the QEMU guest agent ({@code io.atrium.vmm.qga}), which speaks the same framing.
 *
 * <p>Not thread safe: owned by the QMP reader thread.
 */
public final class QmpFrameDecoder {

    public static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
    private static final int INITIAL_BUFFER = 4096;
    private static final int KEEP_BUFFER = 64 * 1024;

    private enum State { BETWEEN, OBJECT, STRING, ESCAPE }

    private final int maxFrame;
    private byte[] buffer = new byte[INITIAL_BUFFER];
    private int length;
    private int depth;
    private State state = State.BETWEEN;

    public QmpFrameDecoder() {
        this(DEFAULT_MAX_FRAME);
    }

    /** @param maxFrame the largest frame accepted, in bytes */
    public QmpFrameDecoder(int maxFrame) {
        if (maxFrame < 2) {
            throw new IllegalArgumentException("maxFrame must be at least 2 bytes: " + maxFrame);
        }
        this.maxFrame = maxFrame;
    }

    /**
     * Consumes {@code count} bytes and returns the frames they completed, in order.
     *
     * @throws VmmException on bytes that cannot start a JSON object, or a frame over the size limit
     */
    public List<byte[]> feed(byte[] data, int offset, int count) {
        List<byte[]> frames = new ArrayList<>(1);
        feed(data, offset, count, frames::add);
        return frames;
    }

    /**
     * Consumes {@code count} bytes and hands each frame they completed to {@code frames}, in order,
     * as soon as it is complete: frames before a bad byte are delivered before the exception.
     *
     * @throws VmmException on bytes that cannot start a JSON object, or a frame over the size limit;
     *     the decoder is then unusable (its position in the stream is lost)
     */
    public void feed(byte[] data, int offset, int count, Consumer<byte[]> frames) {
        for (int i = offset; i < offset + count; i++) {
            byte b = data[i];
            switch (state) {
                case BETWEEN -> {
                    if (b == '{') {
                        append(b);
                        depth = 1;
                        state = State.OBJECT;
                    } else if (!isWhitespace(b)) {
                        throw new VmmException("QMP protocol error: unexpected byte 0x"
                                + Integer.toHexString(b & 0xff) + " between messages");
                    }
                }
                case OBJECT -> {
                    append(b);
                    if (b == '"') {
                        state = State.STRING;
                    } else if (b == '{' || b == '[') {
                        depth++;
                    } else if (b == '}' || b == ']') {
                        depth--;
                        if (depth == 0) {
                            frames.accept(Arrays.copyOf(buffer, length));
                            length = 0;
                            state = State.BETWEEN;
                            if (buffer.length > KEEP_BUFFER) {
                                buffer = new byte[INITIAL_BUFFER];
                            }
                        }
                    }
                }
                case STRING -> {
                    append(b);
                    if (b == '\\') {
                        state = State.ESCAPE;
                    } else if (b == '"') {
                        state = State.OBJECT;
                    }
                }
                case ESCAPE -> {
                    append(b);
                    state = State.STRING;
                }
            }
        }
    }

    /** True if part of a frame is buffered. */
    public boolean hasPartialFrame() {
        return state != State.BETWEEN;
    }

    private void append(byte b) {
        if (length >= maxFrame) {
            throw new VmmException("QMP protocol error: message larger than " + maxFrame + " bytes");
        }
        if (length == buffer.length) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(maxFrame, buffer.length * 2L));
        }
        buffer[length++] = b;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
