package io.atrium.vmm.gpu;

import java.util.List;

/** Source of the GPUs of this host: the real ones ({@link NvidiaSmiInventory}) or simulated ones ({@link SimulatedInventory}). */
@FunctionalInterface
public interface GpuInventory {

    /** The GPUs, ordered by index. */
    List<GpuDevice> discover();
}
