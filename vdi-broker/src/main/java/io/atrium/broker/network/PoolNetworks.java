package io.atrium.broker.network;

import io.atrium.vmm.api.MachineSpec.NetworkAttachment;
import org.springframework.stereotype.Component;

/**
 * The network a pool's desktops are attached to, for the provisioner's spec builder (no caller to authorize: it
 * reads what administrators set). Read at each start, so a change applies to every machine started afterwards.
 */
@Component
public class PoolNetworks {
    private final PoolNetworkRepository repository;

    PoolNetworks(PoolNetworkRepository repository) {
        this.repository = repository;
    }

    /** The pool's network (isolated when it never had one). */
    public PoolNetwork of(String poolId) {
        return repository.find(poolId).orElseGet(() -> PoolNetwork.isolated(poolId));
    }

    /** What a desktop of the pool is attached to. */
    public NetworkAttachment attachmentFor(String poolId) {
        return of(poolId).attachment();
    }
}
