package io.atrium.gateway.rfb;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A state machine over one direction of an RFB connection, fed with bytes in any chunking. It finds every message
 * boundary and, per message, passes the bytes on unchanged (the common case: no copy, consecutive passed bytes go
 * on as one slice of the fed buffer), holds a message back to decide about it or rewrite it once it is complete,
 * or drops it.
 *
 * <p>Mechanics shared by both directions: a step either collects a fixed number of header bytes
 * ({@link #expect}; then {@link #header} runs) or consumes a counted body without looking at it ({@link #skip};
 * then {@link #skipped} runs); at a message boundary {@link #boundary} picks the next step from the first byte.
 * Headers are at most {@value #MAX_HEADER} bytes, and what is held back is bounded by each message's rules, so
 * memory per connection is bounded whatever the peer sends. After an {@link RfbProtocolException} the parser stays
 * failed.
 *
 * <p>Not thread safe: one thread feeds one parser (each direction of the relay has its own).
 */
public abstract sealed class RfbStreamParser permits ClientStreamParser, ServerStreamParser {

    /** How the bytes of the current step are treated. */
    enum Mode { PASS, HOLD, DROP }

    static final int MAX_HEADER = 32;

    private final byte[] header = new byte[MAX_HEADER];
    private int need;
    private int have;
    private long skip;
    private Mode mode = Mode.PASS;
    private byte[] held = new byte[256];
    private int heldLength;
    private final int maxHeld;
    private boolean failed;

    private ByteBuffer in;
    private RfbSink out;
    private int runStart;

    /** @param maxHeld the most bytes one held message may have (a violation beyond) */
    RfbStreamParser(int maxHeld) {
        this.maxHeld = maxHeld;
    }

    /**
     * Consumes every remaining byte of {@code data}, passing on what goes on to {@code sink} in order.
     *
     * @throws RfbProtocolException the stream broke a rule; the parser stays failed and the connection must close
     */
    public final void feed(ByteBuffer data, RfbSink sink) throws RfbProtocolException {
        if (failed) {
            throw new RfbProtocolException("stream already failed");
        }
        in = data;
        out = sink;
        runStart = data.position();
        try {
            while (in.hasRemaining()) {
                if (need == 0 && skip == 0) {
                    boundary(in.get(in.position()) & 0xFF);
                    if (need == 0 && skip == 0) {
                        throw new IllegalStateException(getClass().getSimpleName() + ": no step after a boundary");
                    }
                }
                if (have < need) {
                    int n = Math.min(need - have, in.remaining());
                    in.get(in.position(), header, have, n);
                    consume(n);
                    have += n;
                    if (have == need) {
                        int length = need;
                        need = 0;
                        have = 0;
                        header(header, length);
                    }
                } else {
                    int n = (int) Math.min(skip, in.remaining());
                    consume(n);
                    skip -= n;
                    if (skip == 0) {
                        skipped();
                    }
                }
            }
        } catch (RfbProtocolException | RuntimeException e) {
            failed = true;
            throw e;
        } finally {
            flushRun();
            in = null;
            out = null;
        }
    }

    /** Whether the parser is between messages (nothing of a message consumed yet). */
    public final boolean atBoundary() {
        return need == 0 && skip == 0 && !failed;
    }

    // ------------------------------------------------------------------ steps (for subclasses)

    /** The next byte starts a new step at a message boundary (it is not consumed yet): pick the step. */
    abstract void boundary(int firstByte) throws RfbProtocolException;

    /** The {@code length} bytes {@link #expect}ed are in {@code h[0..length)}. */
    abstract void header(byte[] h, int length) throws RfbProtocolException;

    /** The bytes {@link #skip}ped are consumed. */
    abstract void skipped() throws RfbProtocolException;

    /** The next step collects {@code n} header bytes (1..{@value #MAX_HEADER}). */
    final void expect(int n) {
        if (n < 1 || n > MAX_HEADER) {
            throw new IllegalArgumentException("header of " + n + " bytes");
        }
        need = n;
        have = 0;
    }

    /** The next step consumes {@code n} body bytes; with {@code n == 0}, {@link #skipped} runs at once. */
    final void skip(long n) throws RfbProtocolException {
        if (n < 0) {
            throw new RfbProtocolException("negative length");
        }
        if (n == 0) {
            skipped();
        } else {
            skip = n;
        }
    }

    final void mode(Mode next) {
        if (next == mode) {
            return;
        }
        if (mode == Mode.PASS) {
            flushRun();
        }
        if (next == Mode.PASS && in != null) {
            runStart = in.position();
        }
        mode = next;
    }

    /** Passes on what was held, as it is, and continues passing. */
    final void releaseHeld() {
        if (heldLength > 0) {
            out.insert(ByteBuffer.wrap(Arrays.copyOf(held, heldLength)));
        }
        heldLength = 0;
        mode(Mode.PASS);
    }

    /** Passes on {@code bytes} in place of what was held (a rewritten message). */
    final void replaceHeld(byte[] bytes) {
        heldLength = 0;
        out.insert(ByteBuffer.wrap(bytes));
    }

    /** Forgets what was held (the message is dropped). */
    final void discardHeld() {
        heldLength = 0;
    }

    /** The held bytes (valid until the next step). */
    final byte[] held() {
        return held;
    }

    final int heldLength() {
        return heldLength;
    }

    // ------------------------------------------------------------------ mechanics

    private void consume(int n) throws RfbProtocolException {
        if (mode == Mode.HOLD) {
            if (heldLength + n > maxHeld) {
                throw new RfbProtocolException("held message over " + maxHeld + " bytes");
            }
            if (heldLength + n > held.length) {
                held = Arrays.copyOf(held, Math.min(maxHeld, Math.max(held.length * 2, heldLength + n)));
            }
            in.get(in.position(), held, heldLength, n);
            heldLength += n;
        }
        in.position(in.position() + n);
    }

    private void flushRun() {
        if (in != null && mode == Mode.PASS && in.position() > runStart) {
            out.forward(in.slice(runStart, in.position() - runStart));
        }
        if (in != null) {
            runStart = in.position();
        }
    }

    /** Shrinks a large held buffer again once a big message is done. */
    final void trimHeld() {
        if (heldLength == 0 && held.length > 64 * 1024) {
            held = new byte[256];
        }
    }

    // ------------------------------------------------------------------ field helpers

    static int u8(byte[] b, int offset) {
        return b[offset] & 0xFF;
    }

    static int u16(byte[] b, int offset) {
        return (b[offset] & 0xFF) << 8 | (b[offset + 1] & 0xFF);
    }

    static int s32(byte[] b, int offset) {
        return (b[offset] & 0xFF) << 24 | (b[offset + 1] & 0xFF) << 16 | (b[offset + 2] & 0xFF) << 8
                | (b[offset + 3] & 0xFF);
    }

    static long u32(byte[] b, int offset) {
        return s32(b, offset) & 0xFFFF_FFFFL;
    }

    static void put32(byte[] b, int offset, int value) {
        b[offset] = (byte) (value >>> 24);
        b[offset + 1] = (byte) (value >>> 16);
        b[offset + 2] = (byte) (value >>> 8);
        b[offset + 3] = (byte) value;
    }
}
