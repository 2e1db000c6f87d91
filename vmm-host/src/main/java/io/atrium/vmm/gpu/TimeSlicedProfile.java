package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A time-sliced vGPU profile: every desktop on the GPU gets an equal share of the framebuffer and all of its
 * compute, scheduled in time slices.
 *
 * <p>Derived from the GPU's memory only: the nominal framebuffer {@code F} is {@code memory.total} in GiB
 * rounded to the nearest integer (81559 MiB gives 80 on H100 80GB, 143771 MiB gives 140 on H200). There is one
 * profile {@code ts-<N>gb} for every divisor {@code N} of {@code F}; it allows {@code F / N} instances, and each
 * instance is accounted {@code floor(memory.total / (F / N))} MiB so that the instances never add up to more
 * than the real framebuffer.
 *
 * @param name           {@code ts-<N>gb}
 * @param framebufferGiB {@code N}, the nominal framebuffer of one instance
 * @param memoryMiB      framebuffer accounted per instance
 * @param maxInstances   {@code F / N}
 */
public record TimeSlicedProfile(String name, int framebufferGiB, long memoryMiB, int maxInstances) {

    private static final Pattern NAME = Pattern.compile("^ts-(\\d+)gb$");

    /** All time-sliced profiles of {@code gpu}, smallest first; empty when it has less than 1 GiB. */
    public static List<TimeSlicedProfile> forGpu(GpuDevice gpu) {
        int nominal = nominalFramebufferGiB(gpu);
        List<TimeSlicedProfile> profiles = new ArrayList<>();
        for (int n = 1; n <= nominal; n++) {
            if (nominal % n == 0) {
                int count = nominal / n;
                profiles.add(new TimeSlicedProfile(nameFor(n), n, gpu.memoryTotalMiB() / count, count));
            }
        }
        return List.copyOf(profiles);
    }

    /** {@code memory.total} in GiB, rounded to the nearest integer. */
    public static int nominalFramebufferGiB(GpuDevice gpu) {
        return (int) Math.round(gpu.memoryTotalMiB() / 1024.0);
    }

    public static String nameFor(int framebufferGiB) {
        return "ts-" + framebufferGiB + "gb";
    }

    /** Whether {@code name} follows the {@code ts-<N>gb} scheme. */
    public static boolean isTimeSlicedName(String name) {
        return NAME.matcher(name).matches();
    }

    /** The profile of {@code gpu} named {@code name}, if that size divides its framebuffer. */
    public static Optional<TimeSlicedProfile> find(GpuDevice gpu, String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        return forGpu(gpu).stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
