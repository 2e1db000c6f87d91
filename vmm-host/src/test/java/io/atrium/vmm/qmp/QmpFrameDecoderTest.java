package io.atrium.vmm.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class QmpFrameDecoderTest {

    private static final List<String> MESSAGES = List.of(
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}",
            "{\"return\": {}, \"id\": \"1\"}",
            "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, \"event\": \"POWERDOWN\"}",
            "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": \"2\"}",
            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"braces } { and \\\"quotes\\\" and \\\\ in a string\"}, \"id\": \"3\"}",
            "{\"return\": [{\"name\": \"h\u00e9llo \u2603 \u00fc\"}, {\"nested\": {\"deep\": [1, [2, {\"x\": \"]\"}]]}}], \"id\": \"4\"}",
            "{\"return\": \"\", \"id\": \"5\"}");

    @RepeatedTest(50)
    void framesSurviveArbitraryChunking() {
        Random random = new Random();
        long seed = random.nextLong();
        random = new Random(seed);
        byte[] stream = (String.join("\r\n", MESSAGES) + "\r\n").getBytes(StandardCharsets.UTF_8);
        QmpFrameDecoder decoder = new QmpFrameDecoder();
        List<String> frames = new ArrayList<>();
        int offset = 0;
        while (offset < stream.length) {
            int chunk = Math.min(stream.length - offset, 1 + random.nextInt(random.nextBoolean() ? 3 : 64));
            for (byte[] frame : decoder.feed(stream, offset, chunk)) {
                frames.add(new String(frame, StandardCharsets.UTF_8));
            }
            offset += chunk;
        }
        assertThat(frames).as("seed %d", seed).isEqualTo(MESSAGES);
        assertThat(decoder.hasPartialFrame()).isFalse();
    }

    @Test
    void keepsPartialFrameUntilMoreBytesArrive() {
        QmpFrameDecoder decoder = new QmpFrameDecoder();
        byte[] first = "{\"return\": {\"a\": \"}".getBytes(StandardCharsets.UTF_8);
        assertThat(decoder.feed(first, 0, first.length)).isEmpty();
        assertThat(decoder.hasPartialFrame()).isTrue();
        byte[] rest = "\"}}\n{\"event\":".getBytes(StandardCharsets.UTF_8);
        List<byte[]> frames = decoder.feed(rest, 0, rest.length);
        assertThat(frames).hasSize(1);
        assertThat(new String(frames.getFirst(), StandardCharsets.UTF_8)).isEqualTo("{\"return\": {\"a\": \"}\"}}");
        assertThat(decoder.hasPartialFrame()).isTrue();
    }

    @Test
    void rejectsGarbageBetweenMessages() {
        QmpFrameDecoder decoder = new QmpFrameDecoder();
        byte[] bytes = "{}\nxyz".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.feed(bytes, 0, bytes.length))
                .isInstanceOf(VmmException.class).hasMessageContaining("unexpected byte");
    }

    @Test
    void rejectsOversizedFrames() {
        QmpFrameDecoder decoder = new QmpFrameDecoder(4096);
        byte[] big = ("{\"return\": \"" + "x".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.feed(big, 0, big.length))
                .isInstanceOf(VmmException.class).hasMessageContaining("larger than 4096");
    }
}
