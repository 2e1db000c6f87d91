package io.atrium.vmm.qmp;

import io.atrium.vmm.VmmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a QMP byte stream into complete JSON objects, independent of how the bytes were chunked
 * by the socket. QEMU sends one object per line, but the decoder does not rely on newlines: it is
 * a small state machine that tracks object nesting and string/escape state, so a frame is complete
 * exactly when its outermost '}' arrives. Bytes of a partial frame are kept until more arrive
 * ("need more bytes"). Structural characters are ASCII, so multi-byte UTF-8 content is safe.
 *
 * <p>Not thread safe: owned by the QMP reader thread.
 */
final class QmpFrameDecoder {

    static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

    private enum State { BETWEEN, OBJECT, STRING, ESCAPE }

    private final int maxFrame;
    private byte[] buffer = new byte[4096];
    private int length;
    private int depth;
    private State state = State.BETWEEN;

    QmpFrameDecoder() {
        this(DEFAULT_MAX_FRAME);
    }

    QmpFrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /**
     * Consumes {@code count} bytes and returns the frames they completed, in order.
     *
     * @throws VmmException on bytes that cannot start a JSON object, or a frame over the size limit
     */
    List<byte[]> feed(byte[] data, int offset, int count) {
        List<byte[]> frames = new ArrayList<>(1);
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
                            frames.add(Arrays.copyOf(buffer, length));
                            length = 0;
                            state = State.BETWEEN;
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
        return frames;
    }

    /** True if part of a frame is buffered. */
    boolean hasPartialFrame() {
        return state != State.BETWEEN;
    }

    private void append(byte b) {
        if (length == buffer.length) {
            if (length >= maxFrame) {
                throw new VmmException("QMP protocol error: message larger than " + maxFrame + " bytes");
            }
            buffer = Arrays.copyOf(buffer, Math.min(maxFrame, buffer.length * 2));
        }
        buffer[length++] = b;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
