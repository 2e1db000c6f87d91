package io.atrium.broker.desktop;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.network.PoolNetworks;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.vmm.api.MachineSpec;
import io.atrium.vmm.api.MachineSpec.BootMode;
import io.atrium.vmm.api.MachineSpec.DiskPolicy;
import io.atrium.vmm.api.MachineSpec.GpuAttachment;
import io.atrium.vmm.api.MachineSpec.ImageRef;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Optional;

/**
 * The machine a desktop runs as, as a value for the host ({@link MachineSpec}): named after the desktop (its guest
 * hostname), with its MAC, its image and version ({@link DesktopImages}: the pool's pin, canary or rollout), vCPUs and
 * memory. A pooled desktop always gets a fresh disk
 * ({@link DiskPolicy#FRESH}), a personal one keeps its own ({@link DiskPolicy#KEEP}); {@code atrium.broker.instant-clones}
 * chooses the boot mode; a GPU slice the desktop holds comes with the QEMU arguments that attach it (none for a
 * simulated GPU); the NIC is attached to the pool's network as it is at this start ({@link PoolNetworks}).
 */
@Component
class MachineSpecs {
    private final GpuService gpus;
    private final PoolNetworks networks;
    private final BrokerProperties props;
    private final ObjectProvider<DesktopImages> images;

    MachineSpecs(GpuService gpus, PoolNetworks networks, BrokerProperties props,
            ObjectProvider<DesktopImages> images) {
        this.gpus = gpus;
        this.networks = networks;
        this.props = props;
        this.images = images;
    }

    MachineSpec of(Desktop desktop, Pool pool) {
        List<String> gpuArgs = gpus.qemuArgsFor(desktop.id());
        Optional<GpuAttachment> gpu = gpuArgs.isEmpty() ? Optional.empty()
                : Optional.of(new GpuAttachment(gpus.sliceOf(desktop.id()).map(s -> s.id()).orElse("unknown"), gpuArgs));
        DesktopImages library = images.getIfAvailable();
        ImageRef image = library == null ? ImageRef.of(pool.image()) : library.imageFor(desktop, pool);
        return new MachineSpec(desktop.name(), desktop.mac(), image, pool.vcpus(), pool.memoryMb(),
                pool.kind() == PoolKind.POOLED ? DiskPolicy.FRESH : DiskPolicy.KEEP,
                props.instantClones() ? BootMode.INSTANT_CLONE_PREFERRED : BootMode.COLD_BOOT,
                networks.attachmentFor(pool.id()), gpu);
    }
}
