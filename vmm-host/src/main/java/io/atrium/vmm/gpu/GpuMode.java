package io.atrium.vmm.gpu;

/**
 * How Atrium shares one physical GPU between desktops. This is accounting state kept by {@link GpuPool};
 * it never changes the hardware.
 */
public enum GpuMode {
    /** Split into MIG GPU instances, placed by the profile's memory-slice placements. */
    MIG,
    /** Time-sliced vGPU: identical framebuffer-sized slices, one profile size per GPU at a time. */
    TIME_SLICED,
    /** Not shared: the whole GPU can be passed through to a single desktop (profile {@value GpuPool#FULL_PROFILE}). */
    NONE
}
