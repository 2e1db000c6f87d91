package io.atrium.gateway.rfb;

import static io.atrium.gateway.rfb.RfbStreams.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ClipboardTransfer.Direction;
import io.atrium.gateway.ClipboardTransfer.Outcome;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The VNC server's side: framed message by message, passed unchanged, desktop text by the policy. */
class ServerStreamParserTest {

    static final byte[] HANDSHAKE = concat(RfbStreams.version(8), new byte[] {1, 1, 0, 0, 0, 0},
            RfbStreams.serverInit(1280, 800, 32, 24, "QEMU (desk-1)"));

    final List<ClipboardTransfer> transfers = new ArrayList<>();

    /** A server parser whose client chose 3.8 and None. */
    ServerStreamParser parser(ClipboardPolicy policy) {
        RfbSession session = new RfbSession(policy);
        session.clientMinor(8);
        session.securityType(1);
        return session.serverParser(transfers::add);
    }

    @Test
    void everyEncodingIsFramedAndPassesUnchangedInAnyChunking() throws Exception {
        Random random = new Random(11);
        for (int round = 0; round < 100; round++) {
            byte[] stream = RfbStreams.serverSession(random, 60);
            transfers.clear();
            ServerStreamParser p = parser(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES));
            assertThat(RfbStreams.feedInChunks(p, stream, random, 1 + random.nextInt(2000))).isEqualTo(stream);
            assertThat(p.atBoundary()).isTrue();
            assertThat(transfers).allSatisfy(t -> assertThat(t.outcome()).isEqualTo(Outcome.RELAYED));
        }
    }

    @Test
    void bigRectanglesAreSkippedNotBuffered() throws Exception {
        // A 4096x4096 Raw rectangle: 64 MiB that pass in slices of the fed buffers.
        ServerStreamParser p = parser(ClipboardPolicy.NONE);
        RfbStreams.feedAtOnce(p, concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 4096, 4096, 0)));
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        long passed = 0;
        for (int i = 0; i < 64; i++) {
            chunk.clear();
            RfbStreams.Collected out = new RfbStreams.Collected();
            p.feed(chunk, out);
            passed += out.toByteArray().length;
        }
        assertThat(passed).isEqualTo(64L << 20);
        assertThat(p.atBoundary()).isTrue();
    }

    @Test
    void aWmviRectangleChangesThePixelSizeOfWhatFollows() throws Exception {
        ServerStreamParser p = parser(ClipboardPolicy.NONE);
        byte[] stream = concat(HANDSHAKE, RfbStreams.updateHeader(2),
                RfbStreams.rectHeader(0, 0, 4, 4, 0x574D5669), RfbStreams.pixelFormat(16, 16),
                RfbStreams.rectHeader(0, 0, 4, 4, 0), new byte[4 * 4 * 2], new byte[] {2});
        assertThat(RfbStreams.feedAtOnce(p, stream)).isEqualTo(stream);
        assertThat(p.atBoundary()).isTrue();
    }

    @Test
    void desktopTextIsMeasuredPassedOrDroppedAndReported() throws Exception {
        byte[] provide = RfbStreams.provide(3, "copy from the guest");
        byte[] bell = {2};

        ServerStreamParser p = parser(ClipboardPolicy.both(100));
        byte[] stream = concat(HANDSHAKE, RfbStreams.caps(3), RfbStreams.notify(3), provide, bell);
        assertThat(RfbStreams.feedInChunks(p, stream, new Random(12), 5)).isEqualTo(stream);
        assertThat(transfers).containsExactly(new ClipboardTransfer(Direction.GUEST_TO_BROWSER, 19, Outcome.RELAYED));

        transfers.clear();
        p = parser(ClipboardPolicy.both(10));
        assertThat(RfbStreams.feedAtOnce(p, concat(HANDSHAKE, provide, bell))).isEqualTo(concat(HANDSHAKE, bell));
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.GUEST_TO_BROWSER, 19, Outcome.DROPPED_OVER_CAP));

        // The extended clipboard is not offered to the server under this policy; if the server sent text anyway
        // the gateway drops it: nothing from the desktop, not even its announcements.
        transfers.clear();
        p = parser(new ClipboardPolicy(true, false, 100));
        assertThat(RfbStreams.feedAtOnce(p, concat(HANDSHAKE, RfbStreams.caps(3), RfbStreams.notify(3), provide,
                RfbStreams.serverCutText("classic".getBytes()), bell))).isEqualTo(concat(HANDSHAKE, bell));
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.GUEST_TO_BROWSER, 19, Outcome.DROPPED_BY_POLICY),
                new ClipboardTransfer(Direction.GUEST_TO_BROWSER, 7, Outcome.DROPPED_BY_POLICY));
    }

    @Test
    void qemusCapsMessageNamesSeveralActionsAndPasses() throws Exception {
        // Exactly what QEMU 7.2's VNC server sends after SetEncodings with the extended clipboard.
        byte[] qemuCaps = {3, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF8, 0x1B, 0, 0, 0x01, 0, 0, 0, 0};
        ServerStreamParser p = parser(ClipboardPolicy.both(100));
        byte[] stream = concat(HANDSHAKE, qemuCaps, new byte[] {2});
        assertThat(RfbStreams.feedInChunks(p, stream, new Random(14), 3)).isEqualTo(stream);
        assertThat(transfers).isEmpty();
    }

    @Test
    void aProvideThatInflatesBeyondQemusLimitIsDropped() throws Exception {
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        for (int i = 0; i < ClipboardPolicy.MAX_BYTES + 10; i++) {
            big.write('a');
        }
        byte[] provide = RfbStreams.provide(3, big.toString());
        ServerStreamParser p = parser(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES));
        assertThat(RfbStreams.feedAtOnce(p, concat(HANDSHAKE, provide, new byte[] {2})))
                .isEqualTo(concat(HANDSHAKE, new byte[] {2}));
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.GUEST_TO_BROWSER, -1, Outcome.DROPPED_OVER_CAP));
    }

    @Test
    void handshakesOfEveryVersionAndSecurityType() throws Exception {
        byte[] init = RfbStreams.serverInit(800, 600, 32, 24, "x");
        record Case(int minor, int type, byte[] server) {
        }
        List<Case> cases = List.of(
                new Case(3, 1, concat(RfbStreams.version(8), new byte[] {0, 0, 0, 1}, init)),
                new Case(3, 2, concat(RfbStreams.version(8), new byte[] {0, 0, 0, 2}, new byte[16], new byte[4], init)),
                new Case(7, 1, concat(RfbStreams.version(8), new byte[] {1, 1}, init)),
                new Case(7, 2, concat(RfbStreams.version(8), new byte[] {1, 2}, new byte[16], new byte[4], init)),
                new Case(8, 2, concat(RfbStreams.version(8), new byte[] {2, 1, 2}, new byte[16], new byte[4], init)));
        for (Case c : cases) {
            RfbSession session = new RfbSession(ClipboardPolicy.NONE);
            session.clientMinor(c.minor());
            if (c.minor() >= 7) {
                session.securityType(c.type());
            }
            ServerStreamParser p = session.serverParser(transfers::add);
            byte[] stream = concat(c.server(), new byte[] {2});
            assertThat(RfbStreams.feedInChunks(p, stream, new Random(c.minor()), 3)).isEqualTo(stream);
            assertThat(p.atBoundary()).isTrue();
        }
        // A refused connection: the reason, then nothing more.
        RfbSession session = new RfbSession(ClipboardPolicy.NONE);
        session.clientMinor(8);
        ServerStreamParser refused = session.serverParser(transfers::add);
        RfbStreams.feedAtOnce(refused, concat(RfbStreams.version(8), new byte[] {0, 0, 0, 0, 4}, "nope".getBytes()));
        assertThatThrownBy(() -> RfbStreams.feedAtOnce(refused, new byte[] {2})).isInstanceOf(RfbProtocolException.class);
    }

    @Test
    void whatCannotBeFramedClosesTheConnection() {
        byte[][] bad = {
                concat(HANDSHAKE, new byte[] {9}),
                concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 1, 1, 50)),
                concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 16, 16, 5), new byte[] {(byte) 0x20}),
                concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 16, 16, 7), new byte[] {(byte) 0xB0}),
                concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 16, 16, 7), new byte[] {0x40, 3}),
                concat(HANDSHAKE, new byte[] {(byte) 255, 2}),
                concat(HANDSHAKE, new byte[] {(byte) 255, 1, 0, 9}),
                concat(HANDSHAKE, RfbStreams.updateHeader(1), RfbStreams.rectHeader(0, 0, 1, 1, 0x574D5669),
                        RfbStreams.pixelFormat(24, 24)),
                concat(RfbStreams.version(8), new byte[] {1, 1, 0, 0, 0, 0}, new byte[20], new byte[] {0, 1, 0, 0}),
                concat(HANDSHAKE, RfbStreams.extended(3, 0, new byte[0])),
        };
        for (byte[] stream : bad) {
            ServerStreamParser p = parser(ClipboardPolicy.both(100));
            assertThatThrownBy(() -> RfbStreams.feedInChunks(p, stream, new Random(13), 4))
                    .isInstanceOf(RfbProtocolException.class);
        }
    }
}
