package io.atrium.gateway.rfb;

import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_PROVIDE;
import static io.atrium.gateway.rfb.ExtendedClipboard.FORMATS;
import static io.atrium.gateway.rfb.ExtendedClipboard.FORMAT_TEXT;
import static io.atrium.gateway.rfb.ExtendedClipboard.MAX_CONTROL_BODY;

import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ClipboardTransfer.Direction;
import io.atrium.gateway.ClipboardTransfer.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The VNC server's side of a console connection, framed as cheaply as possible: the handshake, then per message only
 * the headers that give the lengths. Framebuffer rectangles are skipped by their length (Raw, CopyRect, Zlib, ZRLE,
 * ZYWRLE, Tight and TightPNG with their compact lengths, Hextile tile by tile, and the pseudo-encodings the client
 * was allowed to ask for, see {@link ClientStreamParser#FRAMEABLE}); {@code SetColourMapEntries}, {@code Bell},
 * QEMU's audio messages pass. Everything passes unchanged and without a copy except {@code ServerCutText}: desktop
 * text is measured (the extended clipboard's provide is inflated, bounded) and passed or dropped by the policy and
 * its cap, and every transfer is reported.
 *
 * <p>The pixel format that Raw, Hextile, Tight and cursor rectangles depend on is the server's from
 * {@code ServerInit}, the client's {@code SetPixelFormat} (only accepted before updates are asked for) or a WMVi
 * rectangle. Anything the parser does not know is an {@link RfbProtocolException}: a stream it cannot frame is
 * closed rather than passed unchecked.
 */
public final class ServerStreamParser extends RfbStreamParser {

    static final int MAX_TEXT_FIELD = 64 * 1024;

    private enum Step {
        VERSION, SECURITY, SECURITY_33, SECURITY_COUNT, SECURITY_TYPES, AFTER_TYPES, CHALLENGE, RESULT, REASON_LENGTH,
        REASON, FAILED, SERVER_INIT, NAME, MESSAGE,
        UPDATE, RECT, RECT_BODY, LENGTH32, HEXTILE, HEXTILE_HEAD, HEXTILE_BODY, TIGHT_CONTROL, TIGHT_FILTER,
        TIGHT_PALETTE_SIZE, TIGHT_PALETTE, TIGHT_LENGTH, EXTENDED_DESKTOP, WMVI, COLOUR_MAP, FIXED, MESSAGE_BODY,
        CUT_HEAD, CUT_TEXT, CUT_FLAGS, CUT_PASS, CUT_PROVIDE, DROP, QEMU_HEAD, QEMU_AUDIO_OP, QEMU_AUDIO_LENGTH
    }

    private final RfbSession session;
    private final ClipboardPolicy policy;
    private final ClipboardEvents events;
    private Step step = Step.VERSION;
    /** Rectangles left in the current update; -1 until a LastRect. */
    private int rectangles;
    private int width;
    private int height;
    private int tileX;
    private int tileY;
    private int hextileFlags;
    private int tightLengthBytes;
    private long tightLength;
    private int paletteSize;
    private long cutLength;

    ServerStreamParser(RfbSession session, ClipboardEvents events) {
        super(ClipboardPolicy.MAX_BYTES + 64);
        this.session = Objects.requireNonNull(session, "session");
        this.policy = session.clipboard();
        this.events = Objects.requireNonNull(events, "events");
    }

    @Override
    void boundary(int type) throws RfbProtocolException {
        mode(Mode.PASS);
        switch (step) {
            case VERSION -> expect(12);
            case SECURITY -> {
                int minor = session.clientMinor();
                if (minor < 0) {
                    throw new RfbProtocolException("server sent data before the client chose a version");
                }
                if (minor == 3) {
                    step = Step.SECURITY_33;
                    expect(4);
                } else {
                    step = Step.SECURITY_COUNT;
                    expect(1);
                }
            }
            case AFTER_TYPES -> {
                switch (session.securityType()) {
                    case 1 -> {
                        if (session.clientMinor() >= 8) {
                            step = Step.RESULT;
                            expect(4);
                        } else {
                            step = Step.SERVER_INIT;
                            expect(24);
                        }
                    }
                    case 2 -> {
                        step = Step.CHALLENGE;
                        expect(16);
                    }
                    default -> throw new RfbProtocolException("server sent data before the client chose security");
                }
            }
            case CHALLENGE -> expect(16);
            case RESULT -> expect(4);
            case SERVER_INIT -> expect(24);
            case FAILED -> throw new RfbProtocolException("server sent data after a failed handshake");
            case MESSAGE -> message(type);
            default -> throw new IllegalStateException("boundary in step " + step);
        }
    }

    private void message(int type) throws RfbProtocolException {
        switch (type) {
            case 0 -> {
                step = Step.UPDATE;
                expect(4);
            }
            case 1 -> {
                step = Step.COLOUR_MAP;
                expect(6);
            }
            case 2 -> {
                step = Step.FIXED;
                expect(1);
            }
            case 3 -> {
                mode(Mode.HOLD);
                step = Step.CUT_HEAD;
                expect(8);
            }
            case 255 -> {
                step = Step.QEMU_HEAD;
                expect(2);
            }
            default -> throw new RfbProtocolException("unknown server message type " + type);
        }
    }

    @Override
    void header(byte[] h, int length) throws RfbProtocolException {
        switch (step) {
            case VERSION -> {
                String text = new String(h, 0, 12, StandardCharsets.US_ASCII);
                if (!text.matches("RFB \\d{3}\\.\\d{3}\n")) {
                    throw new RfbProtocolException("server protocol version malformed");
                }
                step = Step.SECURITY;
            }
            case SECURITY_33 -> {
                long type = u32(h, 0);
                if (type == 0) {
                    step = Step.REASON_LENGTH;
                    expect(4);
                } else if (type == 1 || type == 2) {
                    session.securityType((int) type);
                    step = type == 1 ? Step.SERVER_INIT : Step.CHALLENGE;
                } else {
                    throw new RfbProtocolException("server chose security type " + type);
                }
            }
            case SECURITY_COUNT -> {
                int count = u8(h, 0);
                if (count == 0) {
                    step = Step.REASON_LENGTH;
                    expect(4);
                } else {
                    step = Step.SECURITY_TYPES;
                    skip(count);
                }
            }
            case CHALLENGE -> step = Step.RESULT;
            case RESULT -> {
                if (u32(h, 0) == 0) {
                    step = Step.SERVER_INIT;
                } else if (session.clientMinor() >= 8) {
                    step = Step.REASON_LENGTH;
                    expect(4);
                } else {
                    step = Step.FAILED;
                }
            }
            case REASON_LENGTH -> {
                step = Step.REASON;
                skip(textField(u32(h, 0)));
            }
            case SERVER_INIT -> {
                session.pixelFormat(PixelFormat.parse(h, 4));
                step = Step.NAME;
                skip(textField(u32(h, 20)));
            }
            case UPDATE -> {
                int count = u16(h, 2);
                rectangles = count == 0xFFFF ? -1 : count;
                nextRectangle();
            }
            case RECT -> rectangle(h);
            case LENGTH32 -> {
                step = Step.RECT_BODY;
                skip(u32(h, 0));
            }
            case HEXTILE -> hextile(u8(h, 0));
            case HEXTILE_HEAD -> {
                int pixel = session.pixelFormat().bytesPerPixel();
                int count = u8(h, length - 1);
                step = Step.HEXTILE_BODY;
                skip((long) count * ((hextileFlags & 16) != 0 ? pixel + 2 : 2));
            }
            case TIGHT_CONTROL -> tight(u8(h, 0));
            case TIGHT_FILTER -> {
                switch (u8(h, 0)) {
                    case 0, 2 -> tightData((long) width * height * tightPixel());
                    case 1 -> {
                        step = Step.TIGHT_PALETTE_SIZE;
                        expect(1);
                    }
                    default -> throw new RfbProtocolException("Tight filter " + u8(h, 0));
                }
            }
            case TIGHT_PALETTE_SIZE -> {
                paletteSize = u8(h, 0) + 1;
                step = Step.TIGHT_PALETTE;
                skip((long) paletteSize * tightPixel());
            }
            case TIGHT_LENGTH -> {
                int b = u8(h, 0);
                tightLength |= (long) (b & (tightLengthBytes == 2 ? 0xFF : 0x7F)) << (7 * tightLengthBytes);
                tightLengthBytes++;
                if ((b & 0x80) != 0 && tightLengthBytes < 3) {
                    expect(1);
                } else {
                    step = Step.RECT_BODY;
                    skip(tightLength);
                }
            }
            case EXTENDED_DESKTOP -> {
                step = Step.RECT_BODY;
                skip(16L * u8(h, 0));
            }
            case WMVI -> {
                session.pixelFormat(PixelFormat.parse(h, 0));
                rectangleDone();
            }
            case COLOUR_MAP -> {
                step = Step.MESSAGE_BODY;
                skip(6L * u16(h, 4));
            }
            case FIXED -> step = Step.MESSAGE;
            case CUT_HEAD -> cutHead(s32(h, 4));
            case CUT_FLAGS -> cutFlags(s32(h, 0));
            case QEMU_HEAD -> {
                if (u8(h, 1) != 1) {
                    throw new RfbProtocolException("unknown QEMU server message subtype " + u8(h, 1));
                }
                step = Step.QEMU_AUDIO_OP;
                expect(2);
            }
            case QEMU_AUDIO_OP -> {
                switch (u16(h, 0)) {
                    case 0, 1 -> step = Step.MESSAGE;
                    case 2 -> {
                        step = Step.QEMU_AUDIO_LENGTH;
                        expect(4);
                    }
                    default -> throw new RfbProtocolException("unknown QEMU audio operation " + u16(h, 0));
                }
            }
            case QEMU_AUDIO_LENGTH -> {
                step = Step.MESSAGE_BODY;
                skip(u32(h, 0));
            }
            default -> throw new IllegalStateException("header in step " + step);
        }
    }

    @Override
    void skipped() throws RfbProtocolException {
        switch (step) {
            case SECURITY_TYPES -> step = Step.AFTER_TYPES;
            case REASON -> step = Step.FAILED;
            case NAME, MESSAGE_BODY, CUT_PASS, DROP -> step = Step.MESSAGE;
            case RECT_BODY -> rectangleDone();
            case HEXTILE_BODY -> nextTile();
            case TIGHT_PALETTE -> tightData(paletteSize == 2 ? (long) ((width + 7) / 8) * height
                    : (long) width * height);
            case CUT_TEXT -> {
                events.transfer(new ClipboardTransfer(Direction.GUEST_TO_BROWSER, cutLength, Outcome.RELAYED));
                step = Step.MESSAGE;
            }
            case CUT_PROVIDE -> provide();
            default -> throw new IllegalStateException("skipped in step " + step);
        }
        trimHeld();
    }

    private static long textField(long length) throws RfbProtocolException {
        if (length > MAX_TEXT_FIELD) {
            throw new RfbProtocolException("server text field of " + length + " bytes");
        }
        return length;
    }

    // ------------------------------------------------------------------ FramebufferUpdate

    private void nextRectangle() {
        if (rectangles == 0) {
            step = Step.MESSAGE;
        } else {
            step = Step.RECT;
            expect(12);
        }
    }

    private void rectangleDone() {
        if (rectangles > 0) {
            rectangles--;
        }
        nextRectangle();
    }

    private void rectangle(byte[] h) throws RfbProtocolException {
        width = u16(h, 4);
        height = u16(h, 6);
        int encoding = s32(h, 8);
        long pixels = (long) width * height;
        PixelFormat format = session.pixelFormat();
        switch (encoding) {
            case 0 -> body(pixels * format.bytesPerPixel());
            case 1 -> body(4);
            case 5 -> {
                tileX = 0;
                tileY = 0;
                if (pixels == 0) {
                    rectangleDone();
                } else {
                    step = Step.HEXTILE;
                    expect(1);
                }
            }
            case 6, 16, 17 -> {
                step = Step.LENGTH32;
                expect(4);
            }
            case 7, -260 -> {
                step = Step.TIGHT_CONTROL;
                expect(1);
            }
            case -223, -257, -258, -259 -> rectangleDone();
            case -224 -> {
                rectangles = 0;
                step = Step.MESSAGE;
            }
            case -239 -> body(pixels * format.bytesPerPixel() + (long) ((width + 7) / 8) * height);
            case -240 -> body(pixels == 0 ? 0 : 6 + 2L * ((width + 7) / 8) * height);
            case -261 -> body(1);
            case -307 -> {
                step = Step.LENGTH32;
                expect(4);
            }
            case -308 -> {
                step = Step.EXTENDED_DESKTOP;
                expect(4);
            }
            case 0x574D5669 -> {
                step = Step.WMVI;
                expect(16);
            }
            default -> throw new RfbProtocolException("rectangle with unknown encoding " + encoding);
        }
    }

    private void body(long bytes) throws RfbProtocolException {
        step = Step.RECT_BODY;
        skip(bytes);
    }

    private void hextile(int flags) throws RfbProtocolException {
        if ((flags & ~0x1F) != 0) {
            throw new RfbProtocolException("Hextile subencoding " + flags);
        }
        int pixel = session.pixelFormat().bytesPerPixel();
        if ((flags & 1) != 0) {
            int tileWidth = Math.min(16, width - tileX * 16);
            int tileHeight = Math.min(16, height - tileY * 16);
            step = Step.HEXTILE_BODY;
            skip((long) tileWidth * tileHeight * pixel);
            return;
        }
        int head = ((flags & 2) != 0 ? pixel : 0) + ((flags & 4) != 0 ? pixel : 0) + ((flags & 8) != 0 ? 1 : 0);
        if ((flags & 8) == 0) {
            if (head == 0) {
                nextTile();
            } else {
                hextileFlags = flags;
                step = Step.HEXTILE_BODY;
                skip(head);
            }
            return;
        }
        hextileFlags = flags;
        step = Step.HEXTILE_HEAD;
        expect(head);
    }

    private void nextTile() {
        tileX++;
        if (tileX * 16 >= width) {
            tileX = 0;
            tileY++;
        }
        if (tileY * 16 >= height) {
            rectangleDone();
        } else {
            step = Step.HEXTILE;
            expect(1);
        }
    }

    private int tightPixel() {
        return session.pixelFormat().tightPixelBytes();
    }

    private void tight(int control) throws RfbProtocolException {
        int compression = control >> 4;
        if (compression == 8) {
            body(tightPixel());
        } else if (compression == 9 || compression == 10) {
            tightLength();
        } else if (compression > 10) {
            throw new RfbProtocolException("Tight compression " + compression);
        } else if ((compression & 4) != 0) {
            step = Step.TIGHT_FILTER;
            expect(1);
        } else {
            tightData((long) width * height * tightPixel());
        }
    }

    /** Basic compression: under 12 bytes the data come as they are, else a compact length and zlib data. */
    private void tightData(long size) throws RfbProtocolException {
        if (size < 12) {
            body(size);
        } else {
            tightLength();
        }
    }

    private void tightLength() {
        tightLength = 0;
        tightLengthBytes = 0;
        step = Step.TIGHT_LENGTH;
        expect(1);
    }

    // ------------------------------------------------------------------ ServerCutText

    private void cutHead(int length) throws RfbProtocolException {
        if (length >= 0) {
            if (!policy.guestToBrowser()) {
                drop(length, Outcome.DROPPED_BY_POLICY, length);
            } else if (length > policy.maxBytes()) {
                drop(length, Outcome.DROPPED_OVER_CAP, length);
            } else {
                cutLength = length;
                releaseHeld();
                step = Step.CUT_TEXT;
                skip(length);
            }
            return;
        }
        cutLength = ExtendedClipboard.bodyLength(length, "ServerCutText");
        step = Step.CUT_FLAGS;
        expect(4);
    }

    private void cutFlags(int flags) throws RfbProtocolException {
        int actions = ExtendedClipboard.action(flags, "ServerCutText");
        if (actions != ACTION_PROVIDE) {
            if (cutLength > MAX_CONTROL_BODY) {
                throw new RfbProtocolException("extended ServerCutText control message of " + cutLength + " bytes");
            }
            if (policy.guestToBrowser()) {
                releaseHeld();
                step = Step.CUT_PASS;
                skip(cutLength);
            } else {
                drop(cutLength, null, -1);
            }
            return;
        }
        if (cutLength > ClipboardPolicy.MAX_BYTES || (flags & FORMATS) != FORMAT_TEXT) {
            drop(cutLength, cutLength > ClipboardPolicy.MAX_BYTES ? Outcome.DROPPED_OVER_CAP
                    : Outcome.DROPPED_BY_POLICY, -1);
            return;
        }
        step = Step.CUT_PROVIDE;
        skip(cutLength);
    }

    private void drop(long rest, Outcome outcome, long bytes) throws RfbProtocolException {
        discardHeld();
        mode(Mode.DROP);
        if (outcome != null) {
            events.transfer(new ClipboardTransfer(Direction.GUEST_TO_BROWSER, bytes, outcome));
        }
        step = Step.DROP;
        skip(rest);
    }

    private void provide() {
        long text = ExtendedClipboard.textBytes(held(), 12, heldLength() - 12, ClipboardPolicy.MAX_BYTES);
        Outcome outcome;
        if (text < 0 || text > policy.maxBytes()) {
            outcome = Outcome.DROPPED_OVER_CAP;
        } else if (!policy.guestToBrowser()) {
            outcome = Outcome.DROPPED_BY_POLICY;
        } else {
            outcome = Outcome.RELAYED;
        }
        if (outcome == Outcome.RELAYED) {
            releaseHeld();
        } else {
            discardHeld();
            mode(Mode.PASS);
        }
        events.transfer(new ClipboardTransfer(Direction.GUEST_TO_BROWSER, text, outcome));
        step = Step.MESSAGE;
    }
}
