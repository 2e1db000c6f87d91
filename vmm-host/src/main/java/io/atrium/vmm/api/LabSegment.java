package io.atrium.vmm.api;

import java.util.Objects;

/**
 * The addressing of a lab network: one private L2 segment (a switch) whose desktops get their addresses from the
 * segment's DHCP server. Values only; validated here so that a host never sees a segment it cannot run.
 *
 * @param subnet    the segment's network, {@code a.b.c.d/n} with a prefix from /16 to /29
 * @param gateway   the segment's own address: its DHCP server, its DNS server, and its router when {@code nat} is on;
 *                  a host address of the subnet outside the DHCP range
 * @param dhcpFirst the first address handed out by DHCP
 * @param dhcpLast  the last address handed out by DHCP (inclusive, not before {@code dhcpFirst})
 * @param nat       whether the segment's desktops reach the outside world through the host's NAT uplink (never the
 *                  host itself)
 */
public record LabSegment(String subnet, String gateway, String dhcpFirst, String dhcpLast, boolean nat) {

    /** The shortest prefix a lab may have (/16: 65536 addresses). */
    public static final int MIN_PREFIX = 16;
    /** The longest prefix a lab may have (/29: 6 host addresses). */
    public static final int MAX_PREFIX = 29;

    public LabSegment {
        Ipv4Subnet net = Ipv4Subnet.parse(Objects.requireNonNull(subnet, "subnet"));
        if (net.prefix() < MIN_PREFIX || net.prefix() > MAX_PREFIX) {
            throw new IllegalArgumentException("a lab subnet's prefix must be /" + MIN_PREFIX + " to /" + MAX_PREFIX
                    + ", got " + subnet);
        }
        Ipv4 gw = Ipv4.parse(Objects.requireNonNull(gateway, "gateway"));
        Ipv4 first = Ipv4.parse(Objects.requireNonNull(dhcpFirst, "dhcpFirst"));
        Ipv4 last = Ipv4.parse(Objects.requireNonNull(dhcpLast, "dhcpLast"));
        if (!net.containsHost(gw)) {
            throw new IllegalArgumentException("gateway " + gateway + " is not a host address of " + subnet);
        }
        if (!net.containsHost(first) || !net.containsHost(last)) {
            throw new IllegalArgumentException("the DHCP range " + dhcpFirst + "-" + dhcpLast
                    + " must be host addresses of " + subnet);
        }
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("the DHCP range " + dhcpFirst + "-" + dhcpLast + " is empty");
        }
        if (gw.compareTo(first) >= 0 && gw.compareTo(last) <= 0) {
            throw new IllegalArgumentException("gateway " + gateway + " lies in the DHCP range " + dhcpFirst + "-"
                    + dhcpLast);
        }
        subnet = net.toString();
        gateway = gw.toString();
        dhcpFirst = first.toString();
        dhcpLast = last.toString();
    }

    /** {@link #subnet()} parsed. */
    public Ipv4Subnet network() {
        return Ipv4Subnet.parse(subnet);
    }

    /** How many addresses DHCP can hand out. */
    public long dhcpSize() {
        return Ipv4.parse(dhcpLast).unsigned() - Ipv4.parse(dhcpFirst).unsigned() + 1;
    }
}
