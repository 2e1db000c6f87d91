package io.atrium.vmm.gpu;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One physical (or simulated) GPU as discovered from nvidia-smi.
 *
 * @param index              nvidia-smi index
 * @param uuid               nvidia-smi UUID ({@code GPU-...}); for simulated GPUs a stable name-based UUID
 * @param name               product name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param pciBusId           PCI bus id as nvidia-smi prints it ({@code 00000000:00:06.0}); empty when simulated
 * @param memoryTotalMiB     framebuffer size in MiB
 * @param migCurrent         hardware MIG mode now
 * @param migPending         hardware MIG mode after the next GPU reset
 * @param driverVersion      driver version, empty when unknown
 * @param virtualizationMode {@code gpu_virtualization_mode/virtualization_mode} of {@code nvidia-smi -q -x}
 *                           (e.g. {@code Pass-Through}), empty when unknown
 * @param model              key of the captured model a simulated GPU was built from, empty for real GPUs
 * @param simulated          true when this GPU exists only as accounting state built from a captured model
 * @param migProfiles        GPU-instance profiles with placements, largest first; empty without MIG support
 */
public record GpuDevice(int index, String uuid, String name, String pciBusId, long memoryTotalMiB,
                        MigMode migCurrent, MigMode migPending, String driverVersion, String virtualizationMode,
                        String model, boolean simulated, List<MigProfile> migProfiles) {

    /** Largest profiles first: memory slices, then compute slices descending, then profile id. */
    public static final Comparator<MigProfile> LARGEST_FIRST = Comparator
            .comparingInt(MigProfile::memorySlices).reversed()
            .thenComparing(Comparator.comparingInt(MigProfile::computeSlices).reversed())
            .thenComparingInt(MigProfile::profileId);

    public GpuDevice {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pciBusId, "pciBusId");
        Objects.requireNonNull(migCurrent, "migCurrent");
        Objects.requireNonNull(migPending, "migPending");
        Objects.requireNonNull(driverVersion, "driverVersion");
        Objects.requireNonNull(virtualizationMode, "virtualizationMode");
        Objects.requireNonNull(model, "model");
        migProfiles = migProfiles.stream().sorted(LARGEST_FIRST).toList();
        if (memoryTotalMiB < 0) {
            throw new IllegalArgumentException("negative memory: " + memoryTotalMiB);
        }
    }

    public boolean supportsMig() {
        return !migProfiles.isEmpty();
    }

    /** Memory slices of the MIG geometry: one past the last slice any placement touches (8 on H100). */
    public int migMemorySlices() {
        return migProfiles.stream().mapToInt(p -> p.placement().end()).max().orElse(0);
    }

    /** Compute slices of the MIG geometry: those of the largest profile (7 on H100, from {@code 7g.80gb}). */
    public int migComputeSlices() {
        return migProfiles.stream().mapToInt(MigProfile::computeSlices).max().orElse(0);
    }

    public GpuDevice withMigProfiles(List<MigProfile> profiles) {
        return new GpuDevice(index, uuid, name, pciBusId, memoryTotalMiB, migCurrent, migPending, driverVersion,
                virtualizationMode, model, simulated, profiles);
    }

    public GpuDevice withVirtualizationMode(String mode) {
        return new GpuDevice(index, uuid, name, pciBusId, memoryTotalMiB, migCurrent, migPending, driverVersion,
                mode, model, simulated, migProfiles);
    }
}
