package io.atrium.gateway.rfb;

import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_CAPS;
import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_NOTIFY;
import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_PEEK;
import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_PROVIDE;
import static io.atrium.gateway.rfb.ExtendedClipboard.ACTION_REQUEST;
import static io.atrium.gateway.rfb.ExtendedClipboard.FORMATS;
import static io.atrium.gateway.rfb.ExtendedClipboard.FORMAT_TEXT;
import static io.atrium.gateway.rfb.ExtendedClipboard.MAX_CONTROL_BODY;

import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ClipboardTransfer.Direction;
import io.atrium.gateway.ClipboardTransfer.Outcome;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;

/**
 * The browser's (RFB client's) side of a console connection, as the gateway accepts it: the handshake
 * ({@code ProtocolVersion} 3.3, 3.7 or 3.8; security type None or VNC authentication; {@code ClientInit}) and then
 * exactly these messages:
 *
 * <table>
 *   <caption>client messages</caption>
 *   <tr><th>type</th><th>message</th><th>size</th><th>what the gateway does</th></tr>
 *   <tr><td>0</td><td>SetPixelFormat</td><td>20</td><td>passes it, only before the first SetEncodings or
 *       FramebufferUpdateRequest (later it could not be matched to the server's stream)</td></tr>
 *   <tr><td>2</td><td>SetEncodings</td><td>4 + 4n, n ≤ 1024</td><td>passes the encodings the server side's parser
 *       can frame, in the client's order; the extended clipboard only when the policy lets text come from the
 *       desktop</td></tr>
 *   <tr><td>3</td><td>FramebufferUpdateRequest</td><td>10</td><td>passes</td></tr>
 *   <tr><td>4</td><td>KeyEvent</td><td>8</td><td>passes</td></tr>
 *   <tr><td>5</td><td>PointerEvent</td><td>6</td><td>passes</td></tr>
 *   <tr><td>6</td><td>ClientCutText</td><td>8 + n</td><td>classic (Latin-1) text: passed as UTF-8 (what QEMU
 *       hands the guest) when the policy allows browser-to-desktop text of that size; extended (negative length):
 *       caps pass, notify and provide follow the browser-to-desktop policy and cap, request and peek the
 *       desktop-to-browser policy; every transfer is reported</td></tr>
 *   <tr><td>251</td><td>SetDesktopSize</td><td>8 + 16 screens, 1..16 screens</td><td>passes a size of 1..8192
 *       each way, drops others</td></tr>
 *   <tr><td>255</td><td>QEMU: extended key event (subtype 0, 12), audio (subtype 1: 4, set format 10)</td>
 *       <td></td><td>passes</td></tr>
 * </table>
 *
 * Anything else is an {@link RfbProtocolException}: the connection closes, nothing unknown reaches the VM.
 */
public final class ClientStreamParser extends RfbStreamParser {

    /** Most encodings a {@code SetEncodings} may list (noVNC sends about 25). */
    static final int MAX_ENCODINGS = 1024;
    /** Largest desktop edge a {@code SetDesktopSize} may ask for. */
    static final int MAX_DESKTOP_EDGE = 8192;
    static final int MAX_SCREENS = 16;

    /**
     * Encodings whose rectangles {@link ServerStreamParser} can frame, so the server is only offered those: Raw,
     * CopyRect, Hextile, Zlib, Tight, ZRLE, ZYWRLE, TightPNG; pseudo-encodings DesktopSize, LastRect, Cursor,
     * XCursor, PointerTypeChange, QEMU extended key event, QEMU audio, QEMU LED state, DesktopName,
     * ExtendedDesktopSize, WMVi, the Tight quality and compression levels, and (by policy) the extended clipboard.
     */
    static final Set<Integer> FRAMEABLE = Set.of(0, 1, 5, 6, 7, 16, 17, -260, -223, -224, -239, -240, -257, -258,
            -259, -261, -307, -308, 0x574D5669);

    private enum Step {
        VERSION, SECURITY_TYPE, AWAIT_SECURITY, VNC_RESPONSE, CLIENT_INIT, MESSAGE,
        PIXEL_FORMAT, ENCODINGS_HEAD, ENCODINGS, FIXED, CUT_HEAD, CUT_TEXT, CUT_FLAGS, CUT_PASS, CUT_PROVIDE, DROP,
        DESKTOP_SIZE_HEAD, DESKTOP_SIZE, QEMU_HEAD, QEMU_AUDIO_OP
    }

    private final RfbSession session;
    private final ClipboardPolicy policy;
    private final ClipboardEvents events;
    private Step step = Step.VERSION;
    private long cutLength;
    private boolean blockedReported;

    ClientStreamParser(RfbSession session, ClipboardEvents events) {
        super(ClipboardPolicy.MAX_BYTES + 16);
        this.session = Objects.requireNonNull(session, "session");
        this.policy = session.clipboard();
        this.events = Objects.requireNonNull(events, "events");
    }

    @Override
    void boundary(int type) throws RfbProtocolException {
        mode(Mode.PASS);
        switch (step) {
            case VERSION -> expect(12);
            case SECURITY_TYPE -> expect(1);
            case AWAIT_SECURITY -> {
                switch (session.securityType()) {
                    case 1 -> {
                        step = Step.CLIENT_INIT;
                        expect(1);
                    }
                    case 2 -> {
                        step = Step.VNC_RESPONSE;
                        expect(16);
                    }
                    default -> throw new RfbProtocolException("client sent data before the server chose security");
                }
            }
            case VNC_RESPONSE -> expect(16);
            case CLIENT_INIT -> expect(1);
            case MESSAGE -> message(type);
            default -> throw new IllegalStateException("boundary in step " + step);
        }
    }

    private void message(int type) throws RfbProtocolException {
        switch (type) {
            case 0 -> {
                if (session.pixelFormatLocked()) {
                    throw new RfbProtocolException("SetPixelFormat after SetEncodings or FramebufferUpdateRequest");
                }
                step = Step.PIXEL_FORMAT;
                expect(20);
            }
            case 2 -> {
                session.lockPixelFormat();
                mode(Mode.HOLD);
                step = Step.ENCODINGS_HEAD;
                expect(4);
            }
            case 3 -> {
                session.lockPixelFormat();
                fixed(10);
            }
            case 4 -> fixed(8);
            case 5 -> fixed(6);
            case 6 -> {
                mode(Mode.HOLD);
                step = Step.CUT_HEAD;
                expect(8);
            }
            case 251 -> {
                mode(Mode.HOLD);
                step = Step.DESKTOP_SIZE_HEAD;
                expect(8);
            }
            case 255 -> {
                step = Step.QEMU_HEAD;
                expect(2);
            }
            default -> throw new RfbProtocolException("unknown client message type " + type);
        }
    }

    private void fixed(int size) {
        step = Step.FIXED;
        expect(size);
    }

    @Override
    void header(byte[] h, int length) throws RfbProtocolException {
        switch (step) {
            case VERSION -> version(h);
            case SECURITY_TYPE -> {
                int type = u8(h, 0);
                if (type != 1 && type != 2) {
                    throw new RfbProtocolException("client chose security type " + type);
                }
                session.securityType(type);
                step = type == 1 ? Step.CLIENT_INIT : Step.VNC_RESPONSE;
            }
            case VNC_RESPONSE -> step = Step.CLIENT_INIT;
            case CLIENT_INIT, FIXED -> step = Step.MESSAGE;
            case PIXEL_FORMAT -> {
                session.pixelFormat(PixelFormat.parse(h, 4));
                step = Step.MESSAGE;
            }
            case ENCODINGS_HEAD -> {
                int count = u16(h, 2);
                if (count > MAX_ENCODINGS) {
                    throw new RfbProtocolException("SetEncodings with " + count + " encodings");
                }
                step = Step.ENCODINGS;
                skip(4L * count);
            }
            case CUT_HEAD -> cutHead(s32(h, 4));
            case CUT_FLAGS -> cutFlags(s32(h, 0));
            case DESKTOP_SIZE_HEAD -> {
                int screens = u8(h, 6);
                if (screens < 1 || screens > MAX_SCREENS) {
                    throw new RfbProtocolException("SetDesktopSize with " + screens + " screens");
                }
                step = Step.DESKTOP_SIZE;
                skip(16L * screens);
            }
            case QEMU_HEAD -> {
                switch (u8(h, 1)) {
                    case 0 -> fixed(10);
                    case 1 -> {
                        step = Step.QEMU_AUDIO_OP;
                        expect(2);
                    }
                    default -> throw new RfbProtocolException("unknown QEMU client message subtype " + u8(h, 1));
                }
            }
            case QEMU_AUDIO_OP -> {
                switch (u16(h, 0)) {
                    case 0, 1 -> step = Step.MESSAGE;
                    case 2 -> fixed(6);
                    default -> throw new RfbProtocolException("unknown QEMU audio operation " + u16(h, 0));
                }
            }
            default -> throw new IllegalStateException("header in step " + step);
        }
    }

    @Override
    void skipped() throws RfbProtocolException {
        switch (step) {
            case ENCODINGS -> encodings();
            case CUT_TEXT -> cutText();
            case CUT_PROVIDE -> provide();
            case CUT_PASS, DROP -> step = Step.MESSAGE;
            case DESKTOP_SIZE -> {
                int width = u16(held(), 2);
                int height = u16(held(), 4);
                if (width < 1 || height < 1 || width > MAX_DESKTOP_EDGE || height > MAX_DESKTOP_EDGE) {
                    discardHeld();
                } else {
                    releaseHeld();
                }
                step = Step.MESSAGE;
            }
            default -> throw new IllegalStateException("skipped in step " + step);
        }
        trimHeld();
    }

    // ------------------------------------------------------------------ handshake

    private void version(byte[] h) throws RfbProtocolException {
        String text = new String(h, 0, 12, StandardCharsets.US_ASCII);
        int minor = switch (text) {
            case "RFB 003.003\n", "RFB 003.004\n", "RFB 003.005\n" -> 3;
            case "RFB 003.007\n" -> 7;
            case "RFB 003.008\n" -> 8;
            default -> throw new RfbProtocolException("client protocol version not 3.3, 3.7 or 3.8");
        };
        session.clientMinor(minor);
        step = minor >= 7 ? Step.SECURITY_TYPE : Step.AWAIT_SECURITY;
    }

    // ------------------------------------------------------------------ SetEncodings

    private void encodings() {
        byte[] in = held();
        int count = (heldLength() - 4) / 4;
        boolean askedClipboard = false;
        ByteArrayOutputStream kept = new ByteArrayOutputStream(heldLength());
        int passed = 0;
        byte[] word = new byte[4];
        for (int i = 0; i < count; i++) {
            int encoding = s32(in, 4 + 4 * i);
            boolean keep;
            if (encoding == ExtendedClipboard.PSEUDO_ENCODING) {
                askedClipboard = true;
                keep = policy.guestToBrowser();
            } else {
                keep = FRAMEABLE.contains(encoding) || encoding >= -32 && encoding <= -23
                        || encoding >= -256 && encoding <= -247;
            }
            if (keep) {
                put32(word, 0, encoding);
                kept.writeBytes(word);
                passed++;
            }
        }
        byte[] message = new byte[4 + kept.size()];
        message[0] = 2;
        message[2] = (byte) (passed >>> 8);
        message[3] = (byte) passed;
        System.arraycopy(kept.toByteArray(), 0, message, 4, kept.size());
        replaceHeld(message);
        session.extendedClipboard(askedClipboard && policy.guestToBrowser());
        if (askedClipboard && !policy.guestToBrowser() && !blockedReported) {
            blockedReported = true;
            events.transfer(new ClipboardTransfer(Direction.GUEST_TO_BROWSER, -1, Outcome.BLOCKED));
        }
        step = Step.MESSAGE;
    }

    // ------------------------------------------------------------------ ClientCutText

    private void cutHead(int length) throws RfbProtocolException {
        if (length >= 0) {
            if (!policy.browserToGuest()) {
                drop(length, Outcome.DROPPED_BY_POLICY, length);
            } else if (length > policy.maxBytes()) {
                drop(length, Outcome.DROPPED_OVER_CAP, length);
            } else {
                cutLength = length;
                step = Step.CUT_TEXT;
                skip(length);
            }
            return;
        }
        cutLength = ExtendedClipboard.bodyLength(length, "ClientCutText");
        step = Step.CUT_FLAGS;
        expect(4);
    }

    private void cutFlags(int flags) throws RfbProtocolException {
        int actions = ExtendedClipboard.action(flags, "ClientCutText");
        if (actions != ACTION_PROVIDE && cutLength > MAX_CONTROL_BODY) {
            throw new RfbProtocolException("extended ClientCutText control message of " + cutLength + " bytes");
        }
        if (!session.extendedClipboard()) {
            // The server was not offered the extended clipboard (QEMU would drop the client for it).
            boolean content = actions == ACTION_PROVIDE || actions == ACTION_NOTIFY;
            drop(cutLength, content ? Outcome.DROPPED_BY_POLICY : null, -1);
            return;
        }
        switch (actions) {
            case ACTION_CAPS -> pass();
            case ACTION_NOTIFY -> {
                if (policy.browserToGuest()) {
                    pass();
                } else {
                    drop(cutLength, Outcome.DROPPED_BY_POLICY, -1);
                }
            }
            case ACTION_REQUEST, ACTION_PEEK -> {
                if (policy.guestToBrowser()) {
                    pass();
                } else {
                    drop(cutLength, null, -1);
                }
            }
            case ACTION_PROVIDE -> {
                if (cutLength > ClipboardPolicy.MAX_BYTES) {
                    drop(cutLength, Outcome.DROPPED_OVER_CAP, -1);
                } else if ((flags & FORMATS) != FORMAT_TEXT) {
                    drop(cutLength, Outcome.DROPPED_BY_POLICY, -1);
                } else {
                    step = Step.CUT_PROVIDE;
                    skip(cutLength);
                }
            }
            default -> throw new RfbProtocolException("extended ClientCutText action 0x" + Integer.toHexString(actions));
        }
    }

    private void pass() throws RfbProtocolException {
        releaseHeld();
        step = Step.CUT_PASS;
        skip(cutLength);
    }

    /** Drops the rest of the message ({@code rest} bytes); reports {@code outcome} unless it is null. */
    private void drop(long rest, Outcome outcome, long bytes) throws RfbProtocolException {
        discardHeld();
        mode(Mode.DROP);
        if (outcome != null) {
            events.transfer(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, bytes, outcome));
        }
        step = Step.DROP;
        skip(rest);
    }

    /** A complete classic ClientCutText within the cap: re-encoded from Latin-1 to UTF-8 and passed. */
    private void cutText() {
        byte[] utf8 = new String(held(), 8, (int) cutLength, StandardCharsets.ISO_8859_1)
                .getBytes(StandardCharsets.UTF_8);
        if (utf8.length > ClipboardPolicy.MAX_BYTES) {
            discardHeld();
            events.transfer(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, cutLength, Outcome.DROPPED_OVER_CAP));
        } else {
            byte[] message = new byte[8 + utf8.length];
            message[0] = 6;
            put32(message, 4, utf8.length);
            System.arraycopy(utf8, 0, message, 8, utf8.length);
            replaceHeld(message);
            events.transfer(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, cutLength, Outcome.RELAYED));
        }
        mode(Mode.PASS);
        step = Step.MESSAGE;
    }

    /** A complete extended provide: measured, then passed or dropped. */
    private void provide() {
        long text = ExtendedClipboard.textBytes(held(), 12, heldLength() - 12, ClipboardPolicy.MAX_BYTES);
        Outcome outcome;
        if (text < 0 || text > policy.maxBytes()) {
            outcome = Outcome.DROPPED_OVER_CAP;
        } else if (!policy.browserToGuest()) {
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
        events.transfer(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, text, outcome));
        step = Step.MESSAGE;
    }
}
