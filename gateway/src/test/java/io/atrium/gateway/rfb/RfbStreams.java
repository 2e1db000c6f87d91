package io.atrium.gateway.rfb;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;

/**
 * Valid RFB streams for the parser tests and the fuzzing: whole client and server sides of a session with random
 * messages of every kind the gateway accepts, and helpers to build single messages, feed in random chunks and mutate.
 */
final class RfbStreams {

    static final int[] NOVNC_ENCODINGS = {1, 50, 7, -260, 16, 21, 5, 2, 6, 0, -26, -254, -223, -224, -258, -261,
            -308, -309, -312, -313, -307, ExtendedClipboard.PSEUDO_ENCODING, -316, 0x574d5664, -239};
    static final int[] FRAMEABLE_ENCODINGS = {0, 1, 5, 6, 7, 16, 17, -260, -223, -224, -239, -240, -257, -258,
            -259, -261, -307, -308, 0x574D5669, -32, -23, -256, -247};

    private RfbStreams() {
    }

    // ------------------------------------------------------------------ messages

    static byte[] version(int minor) {
        return String.format("RFB 003.%03d\n", minor).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] pixelFormat(int bpp, int depth) {
        int max = depth >= 24 ? 255 : depth == 16 ? 31 : 7;
        return ByteBuffer.allocate(16).put((byte) bpp).put((byte) depth).put((byte) 0).put((byte) 1)
                .putShort((short) max).putShort((short) (depth == 16 ? 63 : max)).putShort((short) max)
                .put((byte) 16).put((byte) 8).put((byte) 0).put(new byte[3]).array();
    }

    static byte[] setPixelFormat(int bpp, int depth) {
        return concat(new byte[] {0, 0, 0, 0}, pixelFormat(bpp, depth));
    }

    static byte[] setEncodings(int... encodings) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * encodings.length).put((byte) 2).put((byte) 0)
                .putShort((short) encodings.length);
        for (int e : encodings) {
            b.putInt(e);
        }
        return b.array();
    }

    static byte[] clientCutText(byte[] text) {
        return concat(ByteBuffer.allocate(8).put((byte) 6).put(new byte[3]).putInt(text.length).array(), text);
    }

    static byte[] serverCutText(byte[] text) {
        return concat(ByteBuffer.allocate(8).put((byte) 3).put(new byte[3]).putInt(text.length).array(), text);
    }

    /** An extended cut text (client type 6, server type 3) with these flags and body after the flags. */
    static byte[] extended(int type, int flags, byte[] body) {
        return concat(ByteBuffer.allocate(12).put((byte) type).put(new byte[3]).putInt(-(4 + body.length)).putInt(flags)
                .array(), body);
    }

    /** The zlib body of a provide of UTF-8 text with its NUL. */
    static byte[] provideBody(String text) {
        byte[] utf8 = (text + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] raw = concat(ByteBuffer.allocate(4).putInt(utf8.length).array(), utf8);
        Deflater deflater = new Deflater();
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        while (!deflater.finished()) {
            out.write(chunk, 0, deflater.deflate(chunk));
        }
        deflater.end();
        return out.toByteArray();
    }

    static byte[] provide(int type, String text) {
        return extended(type, ExtendedClipboard.ACTION_PROVIDE | ExtendedClipboard.FORMAT_TEXT, provideBody(text));
    }

    static byte[] notify(int type) {
        return extended(type, ExtendedClipboard.ACTION_NOTIFY | ExtendedClipboard.FORMAT_TEXT, new byte[0]);
    }

    static byte[] request(int type) {
        return extended(type, ExtendedClipboard.ACTION_REQUEST | ExtendedClipboard.FORMAT_TEXT, new byte[0]);
    }

    /**
     * A caps message as the real peers send it: every action they support besides caps, the text format and its
     * size limit 0. QEMU 7.2 (server, type 3): caps, request, notify, provide; noVNC 1.7 (client, type 6): also peek.
     */
    static byte[] caps(int type) {
        int actions = ExtendedClipboard.ACTION_CAPS | ExtendedClipboard.ACTION_REQUEST | ExtendedClipboard.ACTION_NOTIFY
                | ExtendedClipboard.ACTION_PROVIDE | (type == 6 ? ExtendedClipboard.ACTION_PEEK : 0);
        return extended(type, actions | ExtendedClipboard.FORMAT_TEXT, new byte[] {0, 0, 0, 0});
    }

    static byte[] keyEvent(boolean down, int keysym) {
        return ByteBuffer.allocate(8).put((byte) 4).put((byte) (down ? 1 : 0)).putShort((short) 0).putInt(keysym).array();
    }

    static byte[] pointerEvent(int mask, int x, int y) {
        return ByteBuffer.allocate(6).put((byte) 5).put((byte) mask).putShort((short) x).putShort((short) y).array();
    }

    static byte[] updateRequest(boolean incremental, int width, int height) {
        return ByteBuffer.allocate(10).put((byte) 3).put((byte) (incremental ? 1 : 0)).putInt(0)
                .putShort((short) width).putShort((short) height).array();
    }

    static byte[] setDesktopSize(int width, int height, int screens) {
        ByteBuffer b = ByteBuffer.allocate(8 + 16 * screens).put((byte) 251).put((byte) 0).putShort((short) width)
                .putShort((short) height).put((byte) screens).put((byte) 0);
        for (int i = 0; i < screens; i++) {
            b.putInt(i).putShort((short) 0).putShort((short) 0).putShort((short) width).putShort((short) height)
                    .putInt(0);
        }
        return b.array();
    }

    static byte[] qemuKeyEvent(boolean down, int keysym, int scancode) {
        return ByteBuffer.allocate(12).put((byte) 255).put((byte) 0).putShort((short) (down ? 1 : 0)).putInt(keysym)
                .putInt(scancode).array();
    }

    static byte[] serverInit(int width, int height, int bpp, int depth, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        return concat(ByteBuffer.allocate(4).putShort((short) width).putShort((short) height).array(),
                pixelFormat(bpp, depth), ByteBuffer.allocate(4).putInt(n.length).array(), n);
    }

    static byte[] rectHeader(int x, int y, int w, int h, int encoding) {
        return ByteBuffer.allocate(12).putShort((short) x).putShort((short) y).putShort((short) w).putShort((short) h)
                .putInt(encoding).array();
    }

    static byte[] updateHeader(int rects) {
        return new byte[] {0, 0, (byte) (rects >>> 8), (byte) rects};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ sessions

    /** A client side (3.8, None) passing unchanged under {@code both(1 MiB)}: handshake, then random messages. */
    static byte[] clientSession(Random r, int messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(version(8));
        out.writeBytes(new byte[] {1, 1});
        if (r.nextBoolean()) {
            out.writeBytes(setPixelFormat(32, 24));
        }
        out.writeBytes(setEncodings(frameableSubset(r, true)));
        for (int i = 0; i < messages; i++) {
            out.writeBytes(clientMessage(r));
        }
        return out.toByteArray();
    }

    static int[] frameableSubset(Random r, boolean clipboard) {
        List<Integer> list = new ArrayList<>();
        for (int e : FRAMEABLE_ENCODINGS) {
            if (r.nextInt(3) > 0) {
                list.add(e);
            }
        }
        if (clipboard) {
            list.add(r.nextInt(list.size() + 1), ExtendedClipboard.PSEUDO_ENCODING);
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    static byte[] clientMessage(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> keyEvent(r.nextBoolean(), r.nextInt());
            case 1 -> pointerEvent(r.nextInt(128), r.nextInt(65536), r.nextInt(65536));
            case 2 -> updateRequest(r.nextBoolean(), r.nextInt(65536), r.nextInt(65536));
            case 3 -> qemuKeyEvent(r.nextBoolean(), r.nextInt(), r.nextInt());
            case 4 -> setDesktopSize(1 + r.nextInt(8192), 1 + r.nextInt(8192), 1 + r.nextInt(3));
            case 5 -> clientCutText(ascii(r, r.nextInt(200)));
            case 6 -> provide(6, new String(ascii(r, r.nextInt(300)), StandardCharsets.US_ASCII) + "ä€");
            case 7 -> notify(6);
            case 8 -> request(6);
            case 9 -> caps(6);
            case 10 -> setEncodings(frameableSubset(r, true));
            default -> r.nextBoolean() ? new byte[] {(byte) 255, 1, 0, (byte) r.nextInt(2)}
                    : concat(new byte[] {(byte) 255, 1, 0, 2}, randomBytes(r, 6));
        };
    }

    /** A server side (3.8, None) for a client that chose 3.8 and None: handshake, then random messages. */
    static byte[] serverSession(Random r, int messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(version(8));
        out.writeBytes(new byte[] {1, 1, 0, 0, 0, 0});
        out.writeBytes(serverInit(1280, 800, 32, 24, "QEMU (desk-1)"));
        int[] bpp = {32};
        int[] depth = {24};
        for (int i = 0; i < messages; i++) {
            out.writeBytes(serverMessage(r, bpp, depth));
        }
        return out.toByteArray();
    }

    static byte[] serverMessage(Random r, int[] bpp, int[] depth) {
        return switch (r.nextInt(8)) {
            case 0, 1, 2, 3 -> update(r, bpp, depth);
            case 4 -> {
                int n = r.nextInt(4);
                yield concat(ByteBuffer.allocate(6).put((byte) 1).put((byte) 0).putShort((short) 0)
                        .putShort((short) n).array(), randomBytes(r, 6 * n));
            }
            case 5 -> new byte[] {2};
            case 6 -> switch (r.nextInt(4)) {
                case 0 -> caps(3);
                case 1 -> notify(3);
                case 2 -> provide(3, new String(ascii(r, r.nextInt(500)), StandardCharsets.US_ASCII) + "ü");
                default -> serverCutText(ascii(r, r.nextInt(50)));
            };
            default -> switch (r.nextInt(3)) {
                case 0 -> new byte[] {(byte) 255, 1, 0, 0};
                case 1 -> new byte[] {(byte) 255, 1, 0, 1};
                default -> {
                    int n = r.nextInt(100);
                    yield concat(ByteBuffer.allocate(8).put((byte) 255).put((byte) 1).putShort((short) 2).putInt(n)
                            .array(), randomBytes(r, n));
                }
            };
        };
    }

    static byte[] update(Random r, int[] bpp, int[] depth) {
        boolean lastRect = r.nextInt(6) == 0;
        int count = 1 + r.nextInt(4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(updateHeader(lastRect ? 0xFFFF : count));
        for (int i = 0; i < count; i++) {
            out.writeBytes(rectangle(r, bpp, depth));
        }
        if (lastRect) {
            out.writeBytes(rectHeader(0, 0, 0, 0, -224));
        }
        return out.toByteArray();
    }

    static byte[] rectangle(Random r, int[] bpp, int[] depth) {
        int w = r.nextInt(40);
        int h = r.nextInt(40);
        int pixel = bpp[0] / 8;
        int tpixel = bpp[0] == 32 && depth[0] == 24 ? 3 : pixel;
        return switch (r.nextInt(15)) {
            case 0 -> concat(rectHeader(0, 0, w, h, 0), randomBytes(r, w * h * pixel));
            case 1 -> concat(rectHeader(0, 0, w, h, 1), randomBytes(r, 4));
            case 2 -> concat(rectHeader(0, 0, w, h, 5), hextile(r, w, h, pixel));
            case 3 -> lengthPrefixed(r, rectHeader(0, 0, w, h, new int[] {6, 16, 17}[r.nextInt(3)]));
            case 4, 5 -> concat(rectHeader(0, 0, w, h, r.nextBoolean() ? 7 : -260), tight(r, w, h, tpixel));
            case 6 -> rectHeader(0, 0, w, h, new int[] {-223, -257, -258, -259}[r.nextInt(4)]);
            case 7 -> concat(rectHeader(0, 0, w, h, -239), randomBytes(r, w * h * pixel + (w + 7) / 8 * h));
            case 8 -> concat(rectHeader(0, 0, w, h, -240), w * h == 0 ? new byte[0]
                    : randomBytes(r, 6 + 2 * ((w + 7) / 8) * h));
            case 9 -> concat(rectHeader(0, 0, 0, 0, -261), randomBytes(r, 1));
            case 10 -> lengthPrefixed(r, rectHeader(0, 0, 0, 0, -307));
            case 11 -> {
                int n = 1 + r.nextInt(3);
                yield concat(rectHeader(r.nextInt(3), r.nextInt(3), w, h, -308), new byte[] {(byte) n, 0, 0, 0},
                        randomBytes(r, 16 * n));
            }
            case 12 -> {
                int[][] formats = {{32, 24}, {16, 16}, {8, 8}};
                int[] f = formats[r.nextInt(3)];
                bpp[0] = f[0];
                depth[0] = f[1];
                yield concat(rectHeader(0, 0, w, h, 0x574D5669), pixelFormat(f[0], f[1]));
            }
            default -> concat(rectHeader(0, 0, w, h, 0), randomBytes(r, w * h * pixel));
        };
    }

    private static byte[] lengthPrefixed(Random r, byte[] header) {
        int n = r.nextInt(300);
        return concat(header, ByteBuffer.allocate(4).putInt(n).array(), randomBytes(r, n));
    }

    static byte[] hextile(Random r, int w, int h, int pixel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int ty = 0; ty < h; ty += 16) {
            for (int tx = 0; tx < w; tx += 16) {
                int tw = Math.min(16, w - tx);
                int th = Math.min(16, h - ty);
                if (r.nextInt(4) == 0) {
                    out.write(1);
                    out.writeBytes(randomBytes(r, tw * th * pixel));
                    continue;
                }
                int flags = r.nextInt(32) & ~1;
                out.write(flags);
                if ((flags & 2) != 0) {
                    out.writeBytes(randomBytes(r, pixel));
                }
                if ((flags & 4) != 0) {
                    out.writeBytes(randomBytes(r, pixel));
                }
                if ((flags & 8) != 0) {
                    int n = r.nextInt(20);
                    out.write(n);
                    out.writeBytes(randomBytes(r, n * ((flags & 16) != 0 ? pixel + 2 : 2)));
                }
            }
        }
        return out.toByteArray();
    }

    static byte[] tight(Random r, int w, int h, int tpixel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (r.nextInt(6)) {
            case 0 -> {
                out.write(0x80);
                out.writeBytes(randomBytes(r, tpixel));
            }
            case 1, 2 -> {
                out.write(r.nextBoolean() ? 0x90 : 0xA0);
                compactData(r, out, r.nextInt(20000));
            }
            case 3 -> {
                out.write((r.nextInt(4) << 4) | r.nextInt(16) & 0x0F);
                tightData(r, out, (long) w * h * tpixel);
            }
            case 4 -> {
                out.write(((4 | r.nextInt(4)) << 4));
                out.write(r.nextBoolean() ? 0 : 2);
                tightData(r, out, (long) w * h * tpixel);
            }
            default -> {
                out.write((4 | r.nextInt(4)) << 4);
                out.write(1);
                int colours = 1 + r.nextInt(256);
                out.write(colours - 1);
                out.writeBytes(randomBytes(r, colours * tpixel));
                tightData(r, out, colours == 2 ? (long) (w + 7) / 8 * h : (long) w * h);
            }
        }
        return out.toByteArray();
    }

    private static void tightData(Random r, ByteArrayOutputStream out, long size) {
        if (size < 12) {
            out.writeBytes(randomBytes(r, (int) size));
        } else {
            compactData(r, out, r.nextInt(5000));
        }
    }

    static void compactData(Random r, ByteArrayOutputStream out, int length) {
        out.writeBytes(compactLength(length));
        out.writeBytes(randomBytes(r, length));
    }

    static byte[] compactLength(int length) {
        if (length < 0x80) {
            return new byte[] {(byte) length};
        }
        if (length < 0x4000) {
            return new byte[] {(byte) (length & 0x7F | 0x80), (byte) (length >> 7)};
        }
        return new byte[] {(byte) (length & 0x7F | 0x80), (byte) (length >> 7 & 0x7F | 0x80), (byte) (length >> 14)};
    }

    static byte[] ascii(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (0x20 + r.nextInt(0x5F));
        }
        return b;
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ feeding

    /** Collects a parser's output. */
    static final class Collected implements RfbSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void forward(ByteBuffer slice) {
            write(slice);
        }

        @Override
        public void insert(ByteBuffer b) {
            write(b);
        }

        private void write(ByteBuffer b) {
            byte[] copy = new byte[b.remaining()];
            b.get(copy);
            bytes.writeBytes(copy);
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /** Feeds {@code stream} in chunks of 1..{@code maxChunk} bytes (each chunk a fresh buffer); returns the output. */
    static byte[] feedInChunks(RfbStreamParser parser, byte[] stream, Random r, int maxChunk)
            throws RfbProtocolException {
        Collected out = new Collected();
        int at = 0;
        while (at < stream.length) {
            int n = Math.min(stream.length - at, 1 + r.nextInt(maxChunk));
            ByteBuffer chunk = ByteBuffer.allocate(n + 8);
            chunk.position(4);
            chunk.put(stream, at, n);
            chunk.flip();
            chunk.position(4);
            parser.feed(chunk, out);
            at += n;
        }
        return out.toByteArray();
    }

    static byte[] feedAtOnce(RfbStreamParser parser, byte[] stream) throws RfbProtocolException {
        Collected out = new Collected();
        parser.feed(ByteBuffer.wrap(stream), out);
        return out.toByteArray();
    }

    /** A copy of {@code stream} with 1..4 random edits: flipped, replaced, inserted or deleted bytes, or cut short. */
    static byte[] mutate(byte[] stream, Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(stream.length + 16);
        out.writeBytes(stream);
        byte[] b = out.toByteArray();
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[at] = (byte) r.nextInt(256);
                case 2 -> b = concat(java.util.Arrays.copyOfRange(b, 0, at), randomBytes(r, 1 + r.nextInt(8)),
                        java.util.Arrays.copyOfRange(b, at, b.length));
                case 3 -> b = concat(java.util.Arrays.copyOfRange(b, 0, at),
                        java.util.Arrays.copyOfRange(b, Math.min(b.length, at + 1 + r.nextInt(8)), b.length));
                default -> b = java.util.Arrays.copyOf(b, at);
            }
        }
        return b;
    }
}
