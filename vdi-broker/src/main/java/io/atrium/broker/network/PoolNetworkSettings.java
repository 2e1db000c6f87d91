package io.atrium.broker.network;

/**
 * What an administrator enters for a pool's network. Values may be missing; {@link PoolNetworkService} validates them
 * and names each bad field with the names of these components. For a lab only the subnet is required: the gateway
 * defaults to the subnet's first host address, the DHCP range to the rest, NAT to off.
 *
 * @param mode      {@code ISOLATED}, {@code NAT} or {@code LAB}
 * @param subnet    a lab's subnet in CIDR notation ({@code 10.77.0.0/24}, /16 to /29)
 * @param gateway   a lab's own address
 * @param dhcpFirst first DHCP address
 * @param dhcpLast  last DHCP address
 * @param nat       whether a lab gets NAT to the outside world
 */
public record PoolNetworkSettings(String mode, String subnet, String gateway, String dhcpFirst, String dhcpLast,
                                  Boolean nat) {

    /** The settings of a stored network, e.g. to fill a form. */
    public static PoolNetworkSettings of(PoolNetwork n) {
        return new PoolNetworkSettings(n.mode().name(), n.subnet(), n.gateway(), n.dhcpFirst(), n.dhcpLast(), n.nat());
    }

    public static PoolNetworkSettings isolated() {
        return new PoolNetworkSettings("ISOLATED", null, null, null, null, false);
    }

    /** A lab on {@code subnet} with the default addressing. */
    public static PoolNetworkSettings lab(String subnet, boolean nat) {
        return new PoolNetworkSettings("LAB", subnet, null, null, null, nat);
    }
}
