package io.atrium.gateway.rfb;

import java.nio.ByteBuffer;

/**
 * Where a parser puts the bytes that go on, in stream order. Called synchronously during
 * {@link RfbStreamParser#feed}; the caller writes them out before it feeds the next bytes.
 */
public interface RfbSink {

    /**
     * A part of the fed buffer, passed on unchanged. It is a view (no copy): valid until the fed buffer is reused.
     */
    void forward(ByteBuffer slice);

    /** Bytes the parser made (a rewritten message, or one it held back and now releases); owned by the sink. */
    void insert(ByteBuffer bytes);
}
