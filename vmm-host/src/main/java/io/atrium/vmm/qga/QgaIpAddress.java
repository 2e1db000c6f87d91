package io.atrium.vmm.qga;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One address of a guest network interface, parsed from the literal the guest sent (never
 * resolved: no name lookup happens for guest data).
 *
 * @param address an {@link java.net.Inet4Address} or {@link java.net.Inet6Address}
 * @param prefix the prefix length (0..32 for IPv4, 0..128 for IPv6)
 */
public record QgaIpAddress(InetAddress address, int prefix) {

    public QgaIpAddress {
        Objects.requireNonNull(address, "address");
        int max = address instanceof Inet4Address ? 32 : 128;
        if (prefix < 0 || prefix > max) {
            throw new IllegalArgumentException("prefix must be 0.." + max + ": " + prefix);
        }
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefix;
    }
}
