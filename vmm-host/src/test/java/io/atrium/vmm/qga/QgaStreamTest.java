package io.atrium.vmm.qga;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.qga.QgaStream.Delimiter;
import io.atrium.vmm.qga.QgaStream.Frame;
import io.atrium.vmm.qga.QgaStream.Garbage;
import io.atrium.vmm.qga.QgaStream.Item;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The guest agent byte stream: frames, 0xFF delimiters and garbage, however the bytes are chunked. */
class QgaStreamTest {

    private static final byte FF = (byte) 0xFF;

    /** Stale output, a half frame cut by a delimiter, garbage, an oversized frame, and good frames. */
    private static byte[] sample() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("{\"return\": {}, \"id\": \"a\"}\r\n{\"return\": {\"half"));
        out.write(FF);
        out.writeBytes(ascii("{\"return\": 42}\n  garbage {\"return\": \"skipped until the delimiter\"}"));
        out.write(FF);
        out.writeBytes(ascii("{\"return\": \"" + "x".repeat(300) + "\"}{\"return\": \"also skipped\"}"));
        out.write(FF);
        out.writeBytes(ascii("{\"return\": \"brace } and \\\" in a string\"}\n"));
        out.writeBytes("{\"return\": \"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static List<String> describe(QgaStream stream) {
        List<String> items = new ArrayList<>();
        Item item;
        while ((item = stream.poll()) != null) {
            items.add(switch (item) {
                case Frame f -> "frame " + new String(f.json(), StandardCharsets.UTF_8);
                case Delimiter d -> "delimiter";
                case Garbage g -> "garbage " + g.reason();
            });
        }
        return items;
    }

    @Test
    void splitsFramesDelimitersAndGarbage() {
        QgaStream stream = new QgaStream(256);
        byte[] bytes = sample();
        stream.feed(bytes, 0, bytes.length);
        List<String> items = describe(stream);
        assertThat(items).hasSize(9);
        assertThat(items.get(0)).isEqualTo("frame {\"return\": {}, \"id\": \"a\"}");
        assertThat(items.get(1)).isEqualTo("delimiter");
        assertThat(items.get(2)).isEqualTo("frame {\"return\": 42}");
        assertThat(items.get(3)).startsWith("garbage ").contains("unexpected byte 0x67");
        assertThat(items.get(4)).isEqualTo("delimiter");
        assertThat(items.get(5)).startsWith("garbage ").contains("larger than 256");
        assertThat(items.get(6)).isEqualTo("delimiter");
        assertThat(items.get(7)).isEqualTo("frame {\"return\": \"brace } and \\\" in a string\"}");
        assertThat(items.get(8)).isEqualTo("frame {\"return\": \"caf\u00e9\"}");
    }

    @Test
    void randomChunkingYieldsTheSameItems() {
        byte[] bytes = sample();
        QgaStream whole = new QgaStream(256);
        whole.feed(bytes, 0, bytes.length);
        List<String> expected = describe(whole);
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            QgaStream stream = new QgaStream(256);
            List<String> items = new ArrayList<>();
            int i = 0;
            while (i < bytes.length) {
                int n = 1 + random.nextInt(Math.min(40, bytes.length - i));
                stream.feed(bytes, i, n);
                items.addAll(describe(stream));
                i += n;
            }
            assertThat(items).as("round " + round).isEqualTo(expected);
        }
    }

    @Test
    void discardUntilDelimiterDropsQueuedItemsAndAPartialFrame() {
        QgaStream stream = new QgaStream(256);
        byte[] first = ascii("{\"return\": 1}{\"return\": {\"par");
        stream.feed(first, 0, first.length);
        stream.discardUntilDelimiter();
        byte[] rest = ascii("tial\"}}{\"return\": 2}");
        stream.feed(rest, 0, rest.length);
        assertThat(stream.poll()).isNull();
        byte[] synced = new byte[] {FF, '{', '}'};
        stream.feed(synced, 0, synced.length);
        assertThat(describe(stream)).containsExactly("delimiter", "frame {}");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
