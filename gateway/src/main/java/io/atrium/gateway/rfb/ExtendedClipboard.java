package io.atrium.gateway.rfb;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The extended clipboard of RFB (pseudo-encoding {@code 0xC0A1E5CE}): a {@code ClientCutText} or
 * {@code ServerCutText} with a negative length carries a flags word (one action in the top byte, formats in the low
 * 16 bits) and, for {@code provide}, a zlib stream holding, per format, a 32-bit size and that many bytes. Text is
 * UTF-8, usually with a terminating NUL.
 */
final class ExtendedClipboard {

    /** The pseudo-encoding a client lists in {@code SetEncodings} to use the extended clipboard. */
    static final int PSEUDO_ENCODING = 0xC0A1E5CE;
    static final int FORMAT_TEXT = 1;
    static final int ACTION_CAPS = 1 << 24;
    static final int ACTION_REQUEST = 1 << 25;
    static final int ACTION_PEEK = 1 << 26;
    static final int ACTION_NOTIFY = 1 << 27;
    static final int ACTION_PROVIDE = 1 << 28;
    static final int ACTIONS = 0xFF00_0000;
    static final int FORMATS = 0x0000_FFFF;
    /** Longest non-provide extended message body after the flags (caps: a size per format). */
    static final int MAX_CONTROL_BODY = 64;

    private ExtendedClipboard() {
    }

    /**
     * The body length after the flags word of an extended message whose cut-text length field is {@code length}
     * (negative: minus the message's length, flags included).
     *
     * @param message the message's name for the error ({@code ClientCutText}, {@code ServerCutText})
     */
    static long bodyLength(int length, String message) throws RfbProtocolException {
        if (length == Integer.MIN_VALUE || -length < 4) {
            throw new RfbProtocolException("extended " + message + " of length " + length);
        }
        return -(long) length - 4;
    }

    /**
     * The one action of an extended message's flags. A caps message names every action its sender supports besides
     * caps itself (QEMU's: caps, request, notify, provide); any other message has exactly one action. Caps comes
     * first, as QEMU reads it.
     */
    static int action(int flags, String message) throws RfbProtocolException {
        int actions = (flags & ACTION_CAPS) != 0 ? ACTION_CAPS : flags & ACTIONS;
        if (Integer.bitCount(actions) != 1) {
            throw new RfbProtocolException("extended " + message + " with actions 0x" + Integer.toHexString(actions));
        }
        return actions;
    }

    /**
     * The text of a provide message whose only format is text: its size in bytes without a terminating NUL, or -1
     * when the zlib stream is broken, the declared size does not fit what it holds, or it inflates to more than
     * {@code limit + 5} bytes (a 4-byte size, the text, its NUL).
     */
    static long textBytes(byte[] b, int offset, int length, int limit) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(b, offset, length);
            byte[] out = new byte[Math.min(limit + 5, 64 * 1024) + 1];
            byte[] first = new byte[4];
            long total = 0;
            long declared = -1;
            int lastByte = -1;
            while (!inflater.finished()) {
                int n = inflater.inflate(out);
                if (n == 0) {
                    if (inflater.needsInput() || inflater.needsDictionary()) {
                        break;
                    }
                    continue;
                }
                for (int i = 0; i < n && total + i < 4; i++) {
                    first[(int) total + i] = out[i];
                }
                long before = total;
                total += n;
                if (total > (long) limit + 5) {
                    return -1;
                }
                if (declared < 0 && total >= 4) {
                    declared = RfbStreamParser.u32(first, 0);
                }
                if (declared >= 0 && declared > 0) {
                    long lastIndex = 4 + declared - 1;
                    if (lastIndex >= before && lastIndex < total) {
                        lastByte = out[(int) (lastIndex - before)] & 0xFF;
                    }
                }
            }
            if (declared < 0 || 4 + declared > total) {
                return -1;
            }
            return declared > 0 && lastByte == 0 ? declared - 1 : declared;
        } catch (DataFormatException e) {
            return -1;
        } finally {
            inflater.end();
        }
    }
}
