package io.atrium.broker.identity;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 6238 (appendix B, SHA-1) test vectors, the ±1 step window, replay refusal and base32. */
class TotpTest {
    static final byte[] RFC_SECRET = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @Test
    void matchesTheRfc6238TestVectors() {
        Map<Long, String> vectors = Map.of(
                59L, "94287082",
                1111111109L, "07081804",
                1111111111L, "14050471",
                1234567890L, "89005924",
                2000000000L, "69279037",
                20000000000L, "65353130");
        vectors.forEach((t, code) -> assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(t)), 8))
                .as("T=%d", t).isEqualTo(code));
        // the 6-digit code is the last six digits of the same truncation
        assertThat(Totp.code(RFC_SECRET, Instant.ofEpochSecond(59))).isEqualTo("287082");
    }

    @Test
    void acceptsOneStepEitherSideOnceAndNothingElse() {
        Instant now = Instant.ofEpochSecond(1_700_000_000L);
        long step = Totp.step(now);
        String previous = Totp.code(RFC_SECRET, step - 1, 6);
        String current = Totp.code(RFC_SECRET, step, 6);
        String next = Totp.code(RFC_SECRET, step + 1, 6);
        String tooOld = Totp.code(RFC_SECRET, step - 2, 6);
        assertThat(Totp.verify(RFC_SECRET, current, now, 0)).hasValue(step);
        assertThat(Totp.verify(RFC_SECRET, previous, now, 0)).hasValue(step - 1);
        assertThat(Totp.verify(RFC_SECRET, next, now, 0)).hasValue(step + 1);
        assertThat(Totp.verify(RFC_SECRET, tooOld, now, 0)).isEmpty();
        // replay: a step at or before the last used one is refused
        assertThat(Totp.verify(RFC_SECRET, current, now, step)).isEmpty();
        assertThat(Totp.verify(RFC_SECRET, previous, now, step - 1)).isEmpty();
        assertThat(Totp.verify(RFC_SECRET, next, now, step)).hasValue(step + 1);
        for (String bad : new String[] {null, "", "12345", "1234567", "abcdef", " 12 34 5"}) {
            assertThat(Totp.verify(RFC_SECRET, bad, now, 0)).as(String.valueOf(bad)).isEmpty();
        }
        assertThat(Totp.verify(RFC_SECRET, current.substring(0, 3) + " " + current.substring(3), now, 0)).hasValue(step);
    }

    @Test
    void base32RoundTripsAndTheUriNamesIssuerAndAccount() {
        assertThat(Totp.Base32.encode("foobar".getBytes())).isEqualTo("MZXW6YTBOI");
        assertThat(new String(Totp.Base32.decode("MZXW6YTBOI"))).isEqualTo("foobar");
        assertThat(Totp.Base32.decode(Totp.Base32.encode(RFC_SECRET))).isEqualTo(RFC_SECRET);
        assertThat(Totp.otpauthUri("Atrium", "alice@example.com", RFC_SECRET))
                .isEqualTo("otpauth://totp/Atrium:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                        + "&issuer=Atrium&algorithm=SHA1&digits=6&period=30");
    }
}
