package io.atrium.web.api;

import io.atrium.broker.network.PoolNetwork;
import io.atrium.broker.network.PoolNetworkService;
import io.atrium.broker.network.PoolNetworkSettings;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4Subnet;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.List;

/**
 * Desktop networks over REST. Authorization and validation are {@link PoolNetworkService}'s ({@code ROLE_ADMIN}; bad
 * input 400 naming each field, unknown pool 404, see {@link ApiErrors}).
 *
 * <ul>
 *   <li>{@code GET /api/networks}: what the host can do ({@code modes}, {@code limitation}), its own networks
 *       ({@code hostSubnets}: a lab may not overlap them) and its lab switches</li>
 *   <li>{@code GET /api/pools/{poolId}/network}: the pool's network ({@code mode} ISOLATED, NAT or LAB, a lab's
 *       addressing and switch)</li>
 *   <li>{@code PUT /api/pools/{poolId}/network} {@code {"mode":"LAB","subnet":"10.77.0.0/24","nat":false}} (gateway
 *       and DHCP range optional): applies to new desktops at once, to idle ones by refreshing them, to desktops in
 *       use at their refresh</li>
 * </ul>
 */
@RestController
@RequestMapping("/api")
class NetworkController {

    /** Body of {@code PUT /api/pools/{poolId}/network}. */
    record NetworkRequest(String mode, String subnet, String gateway, String dhcpFirst, String dhcpLast, Boolean nat) {
    }

    /** A pool's network. */
    record PoolNetworkResponse(String poolId, String mode, String subnet, String gateway, String dhcpFirst,
                               String dhcpLast, boolean nat, String switchId, Instant updatedAt) {
        static PoolNetworkResponse of(PoolNetwork n) {
            return new PoolNetworkResponse(n.poolId(), n.mode().name(), n.subnet(), n.gateway(), n.dhcpFirst(),
                    n.dhcpLast(), n.nat(), n.switchId(), n.updatedAt());
        }
    }

    /** What the host can do for desktop networks. */
    record HostNetworkingResponse(List<String> modes, String limitation, List<String> hostSubnets,
                                  List<String> switches) {
        static HostNetworkingResponse of(HostNetworking h) {
            return new HostNetworkingResponse(h.modes().stream().map(Enum::name).sorted().toList(), h.limitation(),
                    h.hostSubnets().stream().map(Ipv4Subnet::toString).toList(), h.switches());
        }
    }

    private final PoolNetworkService networks;

    NetworkController(PoolNetworkService networks) {
        this.networks = networks;
    }

    @GetMapping("/networks")
    HostNetworkingResponse host() {
        return HostNetworkingResponse.of(networks.hostNetworking());
    }

    @GetMapping("/pools/{poolId}/network")
    PoolNetworkResponse get(@PathVariable String poolId) {
        return PoolNetworkResponse.of(networks.get(poolId));
    }

    @PutMapping("/pools/{poolId}/network")
    PoolNetworkResponse set(@PathVariable String poolId, @RequestBody(required = false) NetworkRequest body) {
        PoolNetworkSettings settings = body == null ? null : new PoolNetworkSettings(body.mode(), body.subnet(),
                body.gateway(), body.dhcpFirst(), body.dhcpLast(), body.nat());
        return PoolNetworkResponse.of(networks.set(poolId, settings));
    }
}
