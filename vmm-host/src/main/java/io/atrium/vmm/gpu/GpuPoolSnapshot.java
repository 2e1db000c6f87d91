package io.atrium.vmm.gpu;

import java.util.List;

/** Immutable state of a {@link GpuPool}: every GPU by index, and the MIG placement policy in use. */
public record GpuPoolSnapshot(List<GpuSnapshot> gpus, String migPolicy) {

    public GpuPoolSnapshot {
        gpus = List.copyOf(gpus);
    }
}
