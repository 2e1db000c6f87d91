package io.atrium.broker.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** SHA-256 for high-entropy secrets (tokens, recovery codes), and random secrets. */
final class Hashes {
    static final SecureRandom RANDOM = new SecureRandom();
    private static final String READABLE = "abcdefghjkmnpqrstuvwxyz23456789";

    private Hashes() {
    }

    static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String randomUrlSafe(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Random text from an alphabet without look-alike characters (no 0/o, 1/l/i), for people to type. */
    static String readable(int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(READABLE.charAt(RANDOM.nextInt(READABLE.length())));
        }
        return b.toString();
    }
}
