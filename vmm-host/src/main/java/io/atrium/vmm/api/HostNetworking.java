package io.atrium.vmm.api;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a host can do for desktop networks, as a value (see {@link MachineHost#networking()}).
 *
 * @param modes       the network modes this host can run safely; {@link MachineSpec.NetworkMode#ISOLATED} always.
 *                    {@link MachineSpec.NetworkMode#NAT} in the set also means that a lab's segment may have NAT
 * @param limitation  why modes are missing (for administrators: "needs CAP_NET_ADMIN …"); empty when all are there
 * @param hostSubnets the IPv4 networks of the host itself (its interfaces' networks, its routes, the links the host
 *                    uses for desktop networks): a lab must not overlap them
 * @param switches    the ids of the lab switches that exist on this host now
 */
public record HostNetworking(Set<MachineSpec.NetworkMode> modes, String limitation, List<Ipv4Subnet> hostSubnets,
                             List<String> switches) {

    public HostNetworking {
        modes = Set.copyOf(modes);
        if (!modes.contains(MachineSpec.NetworkMode.ISOLATED)) {
            throw new IllegalArgumentException("every host can run isolated desktops");
        }
        Objects.requireNonNull(limitation, "limitation");
        hostSubnets = List.copyOf(hostSubnets);
        switches = List.copyOf(switches);
    }

    /** A host that offers isolated desktops only, for the given reason. */
    public static HostNetworking isolatedOnly(String limitation) {
        return new HostNetworking(Set.of(MachineSpec.NetworkMode.ISOLATED), limitation, List.of(), List.of());
    }

    public boolean supports(MachineSpec.NetworkMode mode) {
        return modes.contains(mode);
    }
}
