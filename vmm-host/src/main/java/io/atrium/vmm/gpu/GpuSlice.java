package io.atrium.vmm.gpu;

import java.util.Objects;

/**
 * One share of a GPU held by a desktop. This is what the broker persists and hands back to
 * {@link GpuPool#restore}.
 *
 * @param id        slice id (a UUID when made by {@link GpuPool}); for a vGPU it doubles as the mdev UUID
 * @param gpuIndex  nvidia-smi index of the GPU
 * @param gpuUuid   UUID of the GPU, checked on restore so that a slice never lands on a different GPU
 * @param mode      sharing mode the GPU was in when the slice was made
 * @param profile   MIG profile ({@code 3g.40gb}), time-sliced profile ({@code ts-10gb}) or
 *                  {@value GpuPool#FULL_PROFILE}
 * @param start     MIG: first memory slice; TIME_SLICED: slot; NONE: 0
 * @param size      MIG: memory slices; TIME_SLICED and NONE: 1
 * @param owner     tag of the holder, e.g. the desktop id
 * @param simulated true when the GPU is simulated (such a slice has no device behind it)
 */
public record GpuSlice(String id, int gpuIndex, String gpuUuid, GpuMode mode, String profile, int start, int size,
                       String owner, boolean simulated) {

    public GpuSlice {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(gpuUuid, "gpuUuid");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(owner, "owner");
    }
}
