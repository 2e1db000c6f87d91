package io.atrium.broker.gpu;

import io.atrium.vmm.gpu.GpuSnapshot;

import java.util.List;
import java.util.Map;

/**
 * Everything the admin view and {@code GET /api/gpus} show.
 *
 * @param inventory  the configured inventory ({@code atrium.vmm.gpu.inventory}), e.g. {@code 2 x h100-80gb-hbm3}
 * @param migPolicy  the MIG placement policy
 * @param gpus       every GPU with its slices; each GPU and slice says whether it is {@code simulated}
 * @param holders    slice id to the desktop and pool holding it
 * @param pools      pools that have a GPU profile, with how many of their desktops hold a slice
 * @param profiles   every profile name this host knows
 * @param unrestored persisted slices that did not match the GPUs at start-up
 */
public record GpuOverview(String inventory, String migPolicy, List<GpuSnapshot> gpus, Map<String, SliceHolder> holders,
                          List<PoolGpuPlan> pools, List<String> profiles, List<UnrestoredSlice> unrestored) {
    public GpuOverview {
        gpus = List.copyOf(gpus);
        holders = Map.copyOf(holders);
        pools = List.copyOf(pools);
        profiles = List.copyOf(profiles);
        unrestored = List.copyOf(unrestored);
    }
}
