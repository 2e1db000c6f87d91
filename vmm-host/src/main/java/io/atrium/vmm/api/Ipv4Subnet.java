package io.atrium.vmm.api;

import java.util.Objects;

/**
 * An IPv4 network in CIDR notation ({@code 10.77.0.0/24}) as a value. The address must be the network's first
 * address (no host bits set), so that one network has one spelling.
 *
 * @param network the first address
 * @param prefix  the prefix length, 0..32
 */
public record Ipv4Subnet(Ipv4 network, int prefix) {

    public Ipv4Subnet {
        Objects.requireNonNull(network, "network");
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32, got " + prefix);
        }
        if ((network.bits() & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException(network + "/" + prefix + " has host bits set (the network is "
                    + new Ipv4(network.bits() & mask(prefix)) + "/" + prefix + ")");
        }
    }

    /**
     * Parses {@code a.b.c.d/n}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Ipv4Subnet parse(String text) {
        Objects.requireNonNull(text, "subnet");
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a subnet in CIDR notation (like 10.77.0.0/24): " + text);
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not a subnet in CIDR notation (like 10.77.0.0/24): " + text);
        }
        return new Ipv4Subnet(Ipv4.parse(text.substring(0, slash)), Integer.parseInt(length));
    }

    /** The network that {@code address/prefix} is in (host bits cleared). */
    public static Ipv4Subnet containing(Ipv4 address, int prefix) {
        return new Ipv4Subnet(new Ipv4(address.bits() & mask(prefix)), prefix);
    }

    /** The netmask as an address ({@code 255.255.255.0} for /24). */
    public Ipv4 netmask() {
        return new Ipv4(mask(prefix));
    }

    /** How many addresses the network spans, network and broadcast address included. */
    public long size() {
        return 1L << (32 - prefix);
    }

    /** The last address (the broadcast address for prefixes up to /30). */
    public Ipv4 last() {
        return network.plus(size() - 1);
    }

    public boolean contains(Ipv4 address) {
        return (address.bits() & mask(prefix)) == network.bits();
    }

    /** Whether the address is in the network and neither its network nor its broadcast address. */
    public boolean containsHost(Ipv4 address) {
        return contains(address) && !address.equals(network) && !address.equals(last());
    }

    /** Whether the two networks share an address (one contains the other). */
    public boolean overlaps(Ipv4Subnet other) {
        int shorter = Math.min(prefix, other.prefix);
        return (network.bits() & mask(shorter)) == (other.network.bits() & mask(shorter));
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    @Override
    public String toString() {
        return network + "/" + prefix;
    }
}
