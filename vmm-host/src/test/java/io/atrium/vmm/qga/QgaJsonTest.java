package io.atrium.vmm.qga;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Parsing guest data without trusting it: address literals, printable text, capped base64. */
class QgaJsonTest {

    @Test
    void ipv4LiteralsAreDottedQuadsOnly() {
        assertThat(QgaJson.ipv4Literal("10.0.2.15")).containsExactly(10, 0, 2, 15);
        assertThat(QgaJson.ipv4Literal("255.255.255.255")).containsExactly(-1, -1, -1, -1);
        for (String bad : new String[] {"10.0.2", "10.0.2.256", "1.2.3.4.5", "0x7f.0.0.1", "localhost", "1..2.3",
                "1.2.3.", " 1.2.3.4", "\u0661.2.3.4", "1234.1.1.1"}) {
            assertThat(QgaJson.ipv4Literal(bad)).as(bad).isNull();
        }
    }

    @Test
    void ipv6LiteralsParseLikeTheJdkWithoutAResolver() throws Exception {
        for (String good : new String[] {"::1", "::", "fe80::5054:ff:fe12:3456", "2001:db8:0:0:0:0:2:1",
                "2001:DB8::1", "::ffff:10.0.2.15", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6:7::"}) {
            assertThat(QgaJson.ipv6Literal(good)).as(good).isEqualTo(InetAddress.getByName(good).getAddress().length == 16
                    ? InetAddress.getByName(good).getAddress() : mapped(InetAddress.getByName(good).getAddress()));
        }
        for (String bad : new String[] {"1:2:3:4:5:6:7:8:9", "1::2::3", ":1:2:3:4:5:6:7", "12345::1", "fe80::1%eth0",
                "example.com", "g::1", "1.2.3.4::", "::1.2.3", "1:2:3:4:5:6:7", "", ":", "\u0661::1"}) {
            assertThat(QgaJson.ipv6Literal(bad)).as(bad).isNull();
        }
    }

    private static byte[] mapped(byte[] v4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(v4, 0, b, 12, 4);
        return b;
    }

    @Test
    void printableCutsAndReplacesControlCharacters() {
        assertThat(QgaJson.printable("a\nb\u001b[0m\u202ec", 100)).isEqualTo("a?b?[0m?c");
        assertThat(QgaJson.printable("abcdef", 3)).isEqualTo("abc...");
        assertThat(QgaJson.isPlain("desk-1", 64)).isTrue();
        assertThat(QgaJson.isPlain("", 64)).isFalse();
        assertThat(QgaJson.isPlain("a\tb", 64)).isFalse();
        assertThat(QgaJson.isPlain("x".repeat(65), 64)).isFalse();
    }

    @Test
    void base64DecodesOnlyUpToTheCap() {
        String text = Base64.getEncoder().encodeToString("0123456789".getBytes(StandardCharsets.US_ASCII));
        QgaJson.Decoded all = QgaJson.base64(text, 10, "t");
        assertThat(new String(all.bytes(), StandardCharsets.US_ASCII)).isEqualTo("0123456789");
        assertThat(all.truncated()).isFalse();
        for (int cap = 0; cap < 10; cap++) {
            QgaJson.Decoded cut = QgaJson.base64(text, cap, "t");
            assertThat(new String(cut.bytes(), StandardCharsets.US_ASCII)).isEqualTo("0123456789".substring(0, cap));
            assertThat(cut.truncated()).isTrue();
        }
    }
}
