package io.atrium.gateway.rfb;

import static io.atrium.gateway.rfb.RfbStreams.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ClipboardTransfer.Direction;
import io.atrium.gateway.ClipboardTransfer.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The browser's side of the RFB stream: what passes, what is rewritten or dropped, what closes the connection. */
class ClientStreamParserTest {

    static final byte[] HANDSHAKE = concat(RfbStreams.version(8), new byte[] {1, 1});

    final List<ClipboardTransfer> transfers = new ArrayList<>();

    ClientStreamParser parser(ClipboardPolicy policy) {
        return new RfbSession(policy).clientParser(transfers::add);
    }

    /** A parser past the handshake that asked for the extended clipboard (passed or not by the policy). */
    ClientStreamParser negotiated(ClipboardPolicy policy) throws RfbProtocolException {
        ClientStreamParser p = parser(policy);
        RfbStreams.feedAtOnce(p, concat(HANDSHAKE, RfbStreams.setEncodings(7, 0, ExtendedClipboard.PSEUDO_ENCODING)));
        return p;
    }

    @Test
    void aNoVncSessionPassesUnchangedExceptForTheEncodingsInAnyChunking() throws Exception {
        byte[] messages = concat(RfbStreams.keyEvent(true, 'a'), RfbStreams.keyEvent(false, 'a'),
                RfbStreams.pointerEvent(1, 100, 200), RfbStreams.updateRequest(true, 1280, 800),
                RfbStreams.qemuKeyEvent(true, 'z', 0x2c), RfbStreams.setDesktopSize(1600, 900, 1),
                new byte[] {(byte) 255, 1, 0, 0}, concat(new byte[] {(byte) 255, 1, 0, 2}, new byte[6]));
        byte[] stream = concat(HANDSHAKE, RfbStreams.setPixelFormat(32, 24),
                RfbStreams.setEncodings(RfbStreams.NOVNC_ENCODINGS), RfbStreams.updateRequest(false, 1280, 800),
                messages);
        byte[] expected = concat(HANDSHAKE, RfbStreams.setPixelFormat(32, 24),
                // H.264 (50), JPEG (21), RRE (2), XVP, fence, continuous updates, extended mouse buttons and the
                // VMware cursor are gone: the server side could not frame them.
                RfbStreams.setEncodings(1, 7, -260, 16, 5, 6, 0, -26, -254, -223, -224, -258, -261, -308, -307,
                        ExtendedClipboard.PSEUDO_ENCODING, -239),
                RfbStreams.updateRequest(false, 1280, 800), messages);

        assertThat(RfbStreams.feedAtOnce(parser(ClipboardPolicy.both(1000)), stream)).isEqualTo(expected);
        Random random = new Random(1);
        for (int i = 0; i < 200; i++) {
            ClientStreamParser p = parser(ClipboardPolicy.both(1000));
            assertThat(RfbStreams.feedInChunks(p, stream, random, 1 + random.nextInt(40))).isEqualTo(expected);
            assertThat(p.atBoundary()).isTrue();
        }
        assertThat(transfers).isEmpty();
    }

    @Test
    void passedMessagesGoOnAsOneSliceOfTheFedBuffer() throws Exception {
        ClientStreamParser p = parser(ClipboardPolicy.NONE);
        RfbStreams.feedAtOnce(p, concat(HANDSHAKE, RfbStreams.setEncodings(7)));
        ByteBuffer frame = ByteBuffer.wrap(concat(RfbStreams.pointerEvent(0, 1, 2), RfbStreams.keyEvent(true, 1),
                RfbStreams.updateRequest(true, 10, 10)));
        List<ByteBuffer> forwarded = new ArrayList<>();
        p.feed(frame, new RfbSink() {
            @Override
            public void forward(ByteBuffer slice) {
                forwarded.add(slice);
            }

            @Override
            public void insert(ByteBuffer bytes) {
                throw new AssertionError("nothing to insert");
            }
        });
        assertThat(forwarded).hasSize(1);
        assertThat(forwarded.getFirst().remaining()).isEqualTo(24);
        assertThat(forwarded.getFirst().array()).isSameAs(frame.array());
    }

    @Test
    void withoutDesktopToBrowserTextTheExtendedClipboardIsRemovedAndThatIsReportedOnce() throws Exception {
        for (ClipboardPolicy policy : List.of(ClipboardPolicy.NONE, new ClipboardPolicy(true, false, 100))) {
            transfers.clear();
            ClientStreamParser p = parser(policy);
            byte[] out = RfbStreams.feedAtOnce(p, concat(HANDSHAKE,
                    RfbStreams.setEncodings(7, ExtendedClipboard.PSEUDO_ENCODING, 0),
                    RfbStreams.setEncodings(ExtendedClipboard.PSEUDO_ENCODING, 16)));
            assertThat(out).isEqualTo(concat(HANDSHAKE, RfbStreams.setEncodings(7, 0), RfbStreams.setEncodings(16)));
            assertThat(transfers).containsExactly(
                    new ClipboardTransfer(Direction.GUEST_TO_BROWSER, -1, Outcome.BLOCKED));
        }
    }

    @Test
    void classicCutTextGoesOnAsUtf8WithinTheCapAndIsDroppedOtherwise() throws Exception {
        byte[] latin1 = "Grüße".getBytes(StandardCharsets.ISO_8859_1);
        byte[] after = RfbStreams.keyEvent(true, 'x');

        ClientStreamParser p = negotiated(ClipboardPolicy.both(5));
        assertThat(RfbStreams.feedInChunks(p, concat(RfbStreams.clientCutText(latin1), after), new Random(2), 3))
                .isEqualTo(concat(RfbStreams.clientCutText("Grüße".getBytes(StandardCharsets.UTF_8)), after));
        assertThat(transfers).containsExactly(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 5, Outcome.RELAYED));

        transfers.clear();
        p = negotiated(ClipboardPolicy.both(4));
        assertThat(RfbStreams.feedAtOnce(p, concat(RfbStreams.clientCutText(latin1), after))).isEqualTo(after);
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 5, Outcome.DROPPED_OVER_CAP));

        transfers.clear();
        p = negotiated(new ClipboardPolicy(false, true, 1000));
        assertThat(RfbStreams.feedAtOnce(p, concat(RfbStreams.clientCutText(latin1), after))).isEqualTo(after);
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 5, Outcome.DROPPED_BY_POLICY));
    }

    @Test
    void aCutTextLargerThanQemuTakesNeverReachesIt() throws Exception {
        byte[] huge = new byte[ClipboardPolicy.MAX_BYTES + 1];
        Arrays.fill(huge, (byte) 'a');
        ClientStreamParser p = negotiated(ClipboardPolicy.both(ClipboardPolicy.MAX_BYTES));
        byte[] after = RfbStreams.pointerEvent(0, 5, 5);
        assertThat(RfbStreams.feedInChunks(p, concat(RfbStreams.clientCutText(huge), after), new Random(3), 70000))
                .isEqualTo(after);
        assertThat(transfers).containsExactly(new ClipboardTransfer(Direction.BROWSER_TO_GUEST,
                ClipboardPolicy.MAX_BYTES + 1, Outcome.DROPPED_OVER_CAP));
        // Latin-1 that grows past 1 MiB as UTF-8 is dropped too.
        transfers.clear();
        Arrays.fill(huge, 0, ClipboardPolicy.MAX_BYTES, (byte) 0xE9);
        RfbStreams.feedAtOnce(p, RfbStreams.clientCutText(Arrays.copyOf(huge, ClipboardPolicy.MAX_BYTES)));
        assertThat(transfers).extracting(ClipboardTransfer::outcome).containsExactly(Outcome.DROPPED_OVER_CAP);
    }

    @Test
    void anExtendedProvideIsMeasuredAndPassedOrDropped() throws Exception {
        byte[] provide = RfbStreams.provide(6, "zä€");   // 1 + 2 + 3 bytes of UTF-8
        byte[] after = RfbStreams.keyEvent(false, 'q');

        ClientStreamParser p = negotiated(ClipboardPolicy.both(6));
        assertThat(RfbStreams.feedInChunks(p, concat(provide, after), new Random(4), 2)).isEqualTo(concat(provide, after));
        assertThat(transfers).containsExactly(new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 6, Outcome.RELAYED));

        transfers.clear();
        p = negotiated(ClipboardPolicy.both(5));
        assertThat(RfbStreams.feedAtOnce(p, concat(provide, after))).isEqualTo(after);
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 6, Outcome.DROPPED_OVER_CAP));

        transfers.clear();
        p = negotiated(new ClipboardPolicy(false, true, 100));
        assertThat(RfbStreams.feedAtOnce(p, concat(RfbStreams.notify(6), provide, after))).isEqualTo(after);
        assertThat(transfers).containsExactly(
                new ClipboardTransfer(Direction.BROWSER_TO_GUEST, -1, Outcome.DROPPED_BY_POLICY),
                new ClipboardTransfer(Direction.BROWSER_TO_GUEST, 6, Outcome.DROPPED_BY_POLICY));
    }

    @Test
    void requestsForDesktopTextFollowTheDesktopToBrowserPolicy() throws Exception {
        ClientStreamParser both = negotiated(ClipboardPolicy.both(10));
        byte[] control = concat(RfbStreams.caps(6), RfbStreams.request(6), RfbStreams.notify(6));
        assertThat(RfbStreams.feedAtOnce(both, control)).isEqualTo(control);

        // Without the extended clipboard (removed for this policy) the server must not see any of it:
        // QEMU drops a client that sends extended clipboard messages it did not offer.
        ClientStreamParser up = negotiated(new ClipboardPolicy(true, false, 10));
        assertThat(RfbStreams.feedAtOnce(up, concat(control, RfbStreams.pointerEvent(0, 1, 1))))
                .isEqualTo(RfbStreams.pointerEvent(0, 1, 1));
    }

    @Test
    void noVncsCapsAnswerNamesSeveralActionsAndPasses() throws Exception {
        // Exactly what noVNC 1.7 answers QEMU's caps with: caps, request, peek, notify, provide; text, size 0.
        byte[] noVncCaps = {6, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xF8, 0x1F, 0, 0, 0x01, 0, 0, 0, 0};
        ClientStreamParser p = negotiated(ClipboardPolicy.both(100));
        assertThat(RfbStreams.feedInChunks(p, noVncCaps, new Random(6), 3)).isEqualTo(noVncCaps);
    }

    @Test
    void desktopSizesOutOfRangeAreDropped() throws Exception {
        ClientStreamParser p = negotiated(ClipboardPolicy.NONE);
        byte[] good = RfbStreams.setDesktopSize(1920, 1080, 1);
        assertThat(RfbStreams.feedAtOnce(p, concat(RfbStreams.setDesktopSize(0, 600, 1), good,
                RfbStreams.setDesktopSize(9000, 600, 1)))).isEqualTo(good);
    }

    @Test
    void version33WaitsForTheServersSecurityChoice() throws Exception {
        RfbSession session = new RfbSession(ClipboardPolicy.NONE);
        ClientStreamParser client = session.clientParser(transfers::add);
        ServerStreamParser server = session.serverParser(transfers::add);
        RfbStreams.feedAtOnce(server, RfbStreams.version(8));
        RfbStreams.feedAtOnce(client, RfbStreams.version(3));
        assertThatThrownBy(() -> RfbStreams.feedAtOnce(session.clientParser(t -> { }), concat(RfbStreams.version(3),
                new byte[] {1}))).isInstanceOf(RfbProtocolException.class).hasMessageContaining("before the server");
        RfbStreams.feedAtOnce(server, new byte[] {0, 0, 0, 2});
        byte[] rest = concat(new byte[16], new byte[] {1}, RfbStreams.keyEvent(true, 1));
        assertThat(RfbStreams.feedAtOnce(client, rest)).isEqualTo(rest);
    }

    @Test
    void anythingUnknownOrOutOfOrderClosesTheConnection() {
        byte[][] bad = {
                RfbStreams.version(9),
                concat(RfbStreams.version(8), new byte[] {5}),
                concat(HANDSHAKE, new byte[] {7}),
                concat(HANDSHAKE, new byte[] {(byte) 150, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                concat(HANDSHAKE, RfbStreams.setEncodings(7), RfbStreams.setPixelFormat(32, 24)),
                concat(HANDSHAKE, RfbStreams.updateRequest(true, 1, 1), RfbStreams.setPixelFormat(32, 24)),
                concat(HANDSHAKE, RfbStreams.setPixelFormat(24, 24)),
                concat(HANDSHAKE, new byte[] {2, 0, 0x10, 0}),
                concat(HANDSHAKE, RfbStreams.setDesktopSize(100, 100, 0)),
                concat(HANDSHAKE, new byte[] {(byte) 255, 9}),
                concat(HANDSHAKE, new byte[] {(byte) 255, 1, 0, 7}),
                concat(HANDSHAKE, new byte[] {6, 0, 0, 0, (byte) 0x80, 0, 0, 0}),
                concat(HANDSHAKE, new byte[] {6, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFE}),
                concat(HANDSHAKE, RfbStreams.extended(6, ExtendedClipboard.ACTION_NOTIFY | ExtendedClipboard.ACTION_REQUEST,
                        new byte[0])),
                concat(HANDSHAKE, RfbStreams.extended(6, ExtendedClipboard.ACTION_CAPS, new byte[100])),
        };
        for (byte[] stream : bad) {
            ClientStreamParser p = parser(ClipboardPolicy.both(100));
            assertThatThrownBy(() -> RfbStreams.feedInChunks(p, stream, new Random(5), 3))
                    .as(Arrays.toString(stream)).isInstanceOf(RfbProtocolException.class);
            assertThatThrownBy(() -> RfbStreams.feedAtOnce(p, RfbStreams.keyEvent(true, 1)))
                    .isInstanceOf(RfbProtocolException.class).hasMessageContaining("already failed");
        }
    }
}
