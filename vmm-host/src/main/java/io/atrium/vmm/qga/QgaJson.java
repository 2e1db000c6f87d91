package io.atrium.vmm.qga;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.databind.JsonNode;

/**
 * Reading replies from an untrusted guest: every field may be missing or of the wrong type, every
 * string may be huge or hold control characters. Required fields that are missing or wrong-typed
 * raise {@link QgaProtocolException}; optional ones that are missing yield their default (a
 * present field of the wrong type is still an error: nothing is guessed).
 */
final class QgaJson {

    /** Longest text taken from the guest into an exception message or a value meant for logs. */
    static final int MAX_TEXT = 1024;

    private QgaJson() {
    }

    static JsonNode object(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw new QgaProtocolException(what + " is not a JSON object");
        }
        return node;
    }

    static long integer(JsonNode object, String field, String what) {
        return optInteger(object, field, what)
                .orElseThrow(() -> new QgaProtocolException(what + ": field '" + field + "' is missing"));
    }

    static OptionalLong optInteger(JsonNode object, String field, String what) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return OptionalLong.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new QgaProtocolException(what + ": field '" + field + "' is not a 64-bit integer");
        }
        return OptionalLong.of(value.longValue());
    }

    static boolean bool(JsonNode object, String field, boolean absent, String what) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw new QgaProtocolException(what + ": field '" + field + "' is not a boolean");
        }
        return value.booleanValue();
    }

    static String text(JsonNode object, String field, int maxLength, String what) {
        return optText(object, field, maxLength, what)
                .orElseThrow(() -> new QgaProtocolException(what + ": field '" + field + "' is missing"));
    }

    static Optional<String> optText(JsonNode object, String field, int maxLength, String what) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isString()) {
            throw new QgaProtocolException(what + ": field '" + field + "' is not a string");
        }
        String text = value.stringValue();
        if (text.length() > maxLength) {
            throw new QgaProtocolException(what + ": field '" + field + "' is longer than " + maxLength + " characters");
        }
        return Optional.of(text);
    }

    /**
     * Up to {@code maxLength} characters of {@code text} with control characters replaced by '?':
     * safe for messages and logs.
     */
    static String printable(String text, int maxLength) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), maxLength) + 3);
        for (int i = 0; i < text.length() && out.length() < maxLength; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? '?' : c);
        }
        if (text.length() > maxLength) {
            out.append("...");
        }
        return out.toString();
    }

    /** Whether {@code text} is non-empty, at most {@code maxLength} long and has no control characters. */
    static boolean isPlain(String text, int maxLength) {
        if (text.isEmpty() || text.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes base64 from the guest, keeping at most {@code cap} bytes: only the prefix of the text
     * that yields them is decoded, so the decoded size is bounded by {@code cap} whatever the
     * guest sent.
     */
    static Decoded base64(String text, int cap, String what) {
        int prefixChars = (int) Math.min(text.length(), ((cap + 2L) / 3) * 4);
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text.substring(0, prefixChars));
        } catch (IllegalArgumentException e) {
            throw new QgaProtocolException(what + ": invalid base64 (" + e.getMessage() + ")");
        }
        boolean cut = prefixChars < text.length() || bytes.length > cap;
        if (bytes.length > cap) {
            bytes = java.util.Arrays.copyOf(bytes, cap);
        }
        return new Decoded(bytes, cut);
    }

    /**
     * The 4 bytes of a dotted-quad IPv4 literal ({@code 10.0.2.15}), or {@code null}. Parsed here,
     * never by a resolver: guest data must not cause a name lookup.
     */
    static byte[] ipv4Literal(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(parts[i]);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    /**
     * The 16 bytes of an IPv6 literal ({@code fe80::5054:ff:fe12:3456}, also with one {@code ::}
     * and a dotted-quad tail), or {@code null}; no zone ({@code %eth0}). Parsed here, never by a
     * resolver.
     */
    static byte[] ipv6Literal(String text) {
        if (text.length() < 2 || text.length() > 45) {
            return null;
        }
        int gap = text.indexOf("::");
        if (gap >= 0 && (text.indexOf("::", gap + 1) >= 0 || text.substring(0, gap).indexOf('.') >= 0)) {
            return null;
        }
        List<Integer> head = ipv6Groups(gap < 0 ? text : text.substring(0, gap));
        List<Integer> tail = gap < 0 ? List.of() : ipv6Groups(text.substring(gap + 2));
        if (head == null || tail == null) {
            return null;
        }
        int groups = head.size() + tail.size();
        if (gap < 0 ? groups != 8 : groups > 7) {
            return null;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < head.size(); i++) {
            bytes[2 * i] = (byte) (head.get(i) >> 8);
            bytes[2 * i + 1] = (byte) (int) head.get(i);
        }
        for (int i = 0; i < tail.size(); i++) {
            int at = 8 - tail.size() + i;
            bytes[2 * at] = (byte) (tail.get(i) >> 8);
            bytes[2 * at + 1] = (byte) (int) tail.get(i);
        }
        return bytes;
    }

    /** 16-bit groups of one side of an IPv6 literal ({@code a:b:c}, the last may be dotted IPv4). */
    private static List<Integer> ipv6Groups(String side) {
        List<Integer> groups = new ArrayList<>();
        if (side.isEmpty()) {
            return groups;
        }
        String[] parts = side.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (i == parts.length - 1 && part.indexOf('.') >= 0) {
                byte[] v4 = ipv4Literal(part);
                if (v4 == null) {
                    return null;
                }
                groups.add(((v4[0] & 0xff) << 8) | (v4[1] & 0xff));
                groups.add(((v4[2] & 0xff) << 8) | (v4[3] & 0xff));
            } else {
                if (part.isEmpty() || part.length() > 4 || !part.chars().allMatch(QgaJson::isAsciiHex)) {
                    return null;
                }
                groups.add(Integer.parseInt(part, 16));
            }
        }
        return groups;
    }

    private static boolean isAsciiHex(int c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Decoded bytes, and whether the input held more than the cap. */
    record Decoded(byte[] bytes, boolean truncated) {
    }
}
