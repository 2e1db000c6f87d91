package io.atrium.broker.network;

import io.atrium.vmm.api.LabSegment;
import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import io.atrium.vmm.api.MachineSpec.NetworkMode;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A pool's desktop network, as stored (table {@code pool_network}; a pool without a row is isolated).
 *
 * @param mode      ISOLATED, NAT or LAB
 * @param subnet    a lab's subnet ({@code 10.77.0.0/24}); null otherwise
 * @param gateway   a lab's own address (DHCP, DNS, router with NAT); null otherwise
 * @param dhcpFirst first address a lab's DHCP hands out; null otherwise
 * @param dhcpLast  last address a lab's DHCP hands out; null otherwise
 * @param nat       whether a lab reaches the outside world through the host's NAT uplink
 * @param switchId  a lab's switch on the host; a new one for new addressing; null otherwise
 * @param updatedAt when it was last set; null for the default of a pool that never had one
 */
public record PoolNetwork(String poolId, NetworkMode mode, String subnet, String gateway, String dhcpFirst,
                          String dhcpLast, boolean nat, String switchId, Instant updatedAt) {

    public PoolNetwork {
        Objects.requireNonNull(poolId, "poolId");
        Objects.requireNonNull(mode, "mode");
        if (mode == NetworkMode.LAB && (subnet == null || switchId == null)) {
            throw new IllegalArgumentException("a lab network needs a subnet and a switch");
        }
    }

    /** The default: isolated. */
    public static PoolNetwork isolated(String poolId) {
        return new PoolNetwork(poolId, NetworkMode.ISOLATED, null, null, null, null, false, null, null);
    }

    /** A lab's addressing as the host sees it. */
    public Optional<LabSegment> segment() {
        return mode == NetworkMode.LAB ? Optional.of(new LabSegment(subnet, gateway, dhcpFirst, dhcpLast, nat))
                : Optional.empty();
    }

    /** What a desktop of the pool is attached to ({@code MachineSpec.network}). */
    public NetworkAttachment attachment() {
        return switch (mode) {
            case ISOLATED -> NetworkAttachment.ISOLATED;
            case NAT -> NetworkAttachment.NAT;
            case LAB -> NetworkAttachment.lab(switchId, segment().orElseThrow());
        };
    }
}
