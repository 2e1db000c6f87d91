package io.atrium.gateway.rfb;

import io.atrium.gateway.ClipboardPolicy;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * Throughput of the RFB check (a {@code main}, not a test): a realistic stream of each direction fed in 64 KiB
 * chunks (the relay's buffer) through its parser, against a baseline that copies the same chunks into a buffer of
 * the same size (what the relay's write costs at least). Server side: framebuffer updates as QEMU sends them to
 * noVNC (Tight rectangles with compact lengths and fills, some Raw and ZRLE, cursor, desktop size), in which the
 * parser skips pixel data by length. Client side: the small messages a viewer sends (pointer, keys, QEMU keys,
 * update requests), each of which the parser looks at.
 *
 * <p>Usage: {@code RfbParserBenchmark [--mib 512] [--rounds 5]}; prints a table.
 */
public final class RfbParserBenchmark {

    public static void main(String[] args) throws Exception {
        int mib = 512;
        int rounds = 5;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--mib" -> mib = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        byte[] server = serverStream(64L << 20, new Random(1));
        byte[] client = clientStream(16L << 20, new Random(2));
        System.out.println("| stream | MiB fed | parser MiB/s (median) | copy MiB/s (median) | parser / copy |");
        System.out.println("|---|---:|---:|---:|---:|");
        row("VM → browser (framebuffer updates)", server, mib, rounds, false);
        row("browser → VM (input events)", client, Math.max(16, mib / 4), rounds, true);
    }

    private static void row(String name, byte[] stream, int mib, int rounds, boolean client) throws Exception {
        long total = (long) mib << 20;
        double[] parse = new double[rounds];
        double[] copy = new double[rounds];
        for (int r = -1; r < rounds; r++) { // round -1 warms up
            double p = run(stream, total, client, false);
            double c = run(stream, total, client, true);
            if (r >= 0) {
                parse[r] = p;
                copy[r] = c;
            }
        }
        java.util.Arrays.sort(parse);
        java.util.Arrays.sort(copy);
        double mp = parse[rounds / 2];
        double mc = copy[rounds / 2];
        System.out.printf("| %s | %d | %.0f | %.0f | %.3f |%n", name, mib, mp, mc, mp / mc);
    }

    /** MiB/s of feeding {@code total} bytes of repeated {@code stream} in 64 KiB chunks. */
    private static double run(byte[] stream, long total, boolean client, boolean copyOnly) throws Exception {
        ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        ByteBuffer sinkBuffer = ByteBuffer.allocateDirect(64 * 1024);
        RfbSink sink = new RfbSink() {
            @Override
            public void forward(ByteBuffer slice) {
                sinkBuffer.clear();
                sinkBuffer.put(slice);
            }

            @Override
            public void insert(ByteBuffer bytes) {
                sinkBuffer.clear();
                sinkBuffer.put(bytes.limit(Math.min(bytes.limit(), sinkBuffer.capacity())));
            }
        };
        RfbStreamParser parser = null;
        int prefix = 0;
        long start = System.nanoTime();
        long fed = 0;
        int at = 0;
        while (fed < total) {
            if (parser == null && !copyOnly) {
                parser = newParser(client);
                at = 0;
            }
            chunk.clear();
            int n = Math.min(chunk.capacity(), stream.length - at);
            chunk.put(stream, at, n).flip();
            if (copyOnly) {
                sinkBuffer.clear();
                sinkBuffer.put(chunk);
            } else {
                parser.feed(chunk, sink);
            }
            at += n;
            fed += n;
            if (at == stream.length) {
                at = prefix;
                parser = null; // a new session: the stream starts with its handshake
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return total / 1048576.0 / seconds;
    }

    private static RfbStreamParser newParser(boolean client) {
        RfbSession session = new RfbSession(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES));
        if (client) {
            return session.clientParser(t -> { });
        }
        session.clientMinor(8);
        session.securityType(1);
        return session.serverParser(t -> { });
    }

    /** A server session of about {@code bytes}: updates of 1..8 rectangles, mostly Tight, as QEMU sends them. */
    static byte[] serverStream(long bytes, Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes + (1 << 20));
        out.writeBytes(RfbStreams.concat(RfbStreams.version(8), new byte[] {1, 1, 0, 0, 0, 0},
                RfbStreams.serverInit(1280, 800, 32, 24, "QEMU (desk-1)")));
        while (out.size() < bytes) {
            int count = 1 + r.nextInt(8);
            out.writeBytes(RfbStreams.updateHeader(count));
            for (int i = 0; i < count; i++) {
                int w = 16 + r.nextInt(256);
                int h = 16 + r.nextInt(128);
                int kind = r.nextInt(20);
                if (kind < 14) { // Tight basic (zlib) with a compact length
                    out.writeBytes(RfbStreams.rectHeader(0, 0, w, h, 7));
                    out.write(0x00);
                    RfbStreams.compactData(r, out, 500 + r.nextInt(60_000));
                } else if (kind < 17) { // Tight fill
                    out.writeBytes(RfbStreams.rectHeader(0, 0, w, h, 7));
                    out.write(0x80);
                    out.writeBytes(RfbStreams.randomBytes(r, 3));
                } else if (kind < 18) {
                    out.writeBytes(RfbStreams.rectHeader(0, 0, w / 4, h / 4, 0));
                    out.writeBytes(RfbStreams.randomBytes(r, (w / 4) * (h / 4) * 4));
                } else if (kind < 19) {
                    int n = 1000 + r.nextInt(30_000);
                    out.writeBytes(RfbStreams.rectHeader(0, 0, w, h, 16));
                    out.writeBytes(ByteBuffer.allocate(4).putInt(n).array());
                    out.writeBytes(RfbStreams.randomBytes(r, n));
                } else {
                    out.writeBytes(RfbStreams.rectHeader(0, 0, 16, 16, -239));
                    out.writeBytes(RfbStreams.randomBytes(r, 16 * 16 * 4 + 2 * 16));
                }
            }
        }
        return out.toByteArray();
    }

    /** A client session of about {@code bytes} of input events. */
    static byte[] clientStream(long bytes, Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes + 4096);
        out.writeBytes(RfbStreams.concat(RfbStreams.version(8), new byte[] {1, 1}, RfbStreams.setPixelFormat(32, 24),
                RfbStreams.setEncodings(RfbStreams.NOVNC_ENCODINGS)));
        while (out.size() < bytes) {
            out.writeBytes(switch (r.nextInt(4)) {
                case 0, 1 -> RfbStreams.pointerEvent(r.nextInt(8), r.nextInt(1280), r.nextInt(800));
                case 2 -> RfbStreams.qemuKeyEvent(r.nextBoolean(), 0x61 + r.nextInt(26), 0x1e + r.nextInt(20));
                default -> RfbStreams.updateRequest(true, 1280, 800);
            });
        }
        return out.toByteArray();
    }
}
