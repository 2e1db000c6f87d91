package io.atrium.vmm.gpu;

import java.util.List;
import java.util.Map;

/**
 * State of one GPU for the UI and API.
 *
 * @param simulated          real or simulated GPU
 * @param hardwareMigMode    MIG mode the hardware reports (as discovered; simulated GPUs show the captured one)
 * @param slices             slices held, with their owners
 * @param usedComputeSlices  MIG mode: compute slices in use; otherwise 0
 * @param totalComputeSlices MIG geometry of the GPU (7 on H100); 0 without MIG support
 * @param usedMemorySlices   MIG mode: memory slices in use; otherwise 0
 * @param totalMemorySlices  MIG geometry of the GPU (8 on H100); 0 without MIG support
 * @param usedMemoryMiB      framebuffer accounted to slices in any mode
 * @param timeSlicedProfile  TIME_SLICED mode with slices: the one profile in use; otherwise null
 * @param fits               profiles that can still be allocated in the current mode, with how many more
 */
public record GpuSnapshot(int index, String uuid, String name, String model, boolean simulated, GpuMode mode,
                          MigMode hardwareMigMode, List<GpuSlice> slices, int usedComputeSlices,
                          int totalComputeSlices, int usedMemorySlices, int totalMemorySlices, long usedMemoryMiB,
                          long totalMemoryMiB, String timeSlicedProfile, Map<String, Integer> fits) {

    public GpuSnapshot {
        slices = List.copyOf(slices);
        fits = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fits));
    }
}
