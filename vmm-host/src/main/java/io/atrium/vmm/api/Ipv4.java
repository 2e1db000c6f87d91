package io.atrium.vmm.api;

import java.util.Objects;

/**
 * An IPv4 address as a value, parsed strictly from dotted-quad text (four decimal octets, no leading zeros, no
 * host names: nothing is ever resolved).
 *
 * @param bits the address as an unsigned 32-bit number in an {@code int}
 */
public record Ipv4(int bits) implements Comparable<Ipv4> {

    /**
     * Parses {@code a.b.c.d}.
     *
     * @throws IllegalArgumentException if the text is not exactly that
     */
    public static Ipv4 parse(String text) {
        Objects.requireNonNull(text, "address");
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int bits = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')
                    || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            bits = (bits << 8) | octet;
        }
        return new Ipv4(bits);
    }

    /** Whether {@code text} is a dotted-quad IPv4 address. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }

    /** The address {@code n} after this one (may wrap; callers check ranges). */
    public Ipv4 plus(long n) {
        return new Ipv4((int) (unsigned() + n));
    }

    /** The address as a non-negative {@code long}. */
    public long unsigned() {
        return Integer.toUnsignedLong(bits);
    }

    @Override
    public int compareTo(Ipv4 other) {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString() {
        return ((bits >>> 24) & 0xff) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }
}
