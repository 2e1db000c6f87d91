package io.atrium.vmm.gpu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A MIG GPU-instance profile of one GPU, joined from {@code nvidia-smi mig -lgip} (the table) and
 * {@code nvidia-smi mig -lgipp} (the placements).
 *
 * @param name           profile name without the {@code MIG } prefix, e.g. {@code 1g.10gb} or {@code 1g.10gb+me}
 * @param profileId      the profile id nvidia-smi uses ({@code -cgi <id>})
 * @param instancesFree  free instances when the table was taken
 * @param instancesTotal most instances of this profile the GPU can hold at once
 * @param memoryMiB      framebuffer of one instance, converted from the table's unit to MiB
 * @param computeSlices  compute slices (GPCs) of one instance, the {@code N} of {@code Ng.} in the name
 * @param engines        every further numeric column of the table by its header name, in table order
 *                       (on Hopper: SM, DEC, ENC, CE, JPEG, OFA)
 * @param placement      allowed starts and size in memory slices
 */
public record MigProfile(String name, int profileId, int instancesFree, int instancesTotal, long memoryMiB,
                         int computeSlices, Map<String, Integer> engines, MigPlacement placement) {

    private static final Pattern COMPUTE = Pattern.compile("^(\\d+)g\\.");

    public MigProfile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(placement, "placement");
        engines = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(engines));
        if (computeSlices <= 0) {
            throw new IllegalArgumentException("profile " + name + " has no compute slices");
        }
        if (instancesTotal <= 0) {
            throw new IllegalArgumentException("profile " + name + " allows no instance");
        }
    }

    /** Memory slices one instance occupies. */
    public int memorySlices() {
        return placement.size();
    }

    /** Streaming multiprocessors of one instance, when the table has an {@code SM} column. */
    public int streamingMultiprocessors() {
        return engines.getOrDefault("SM", 0);
    }

    /**
     * Compute slices encoded in a GPU-instance profile name ({@code 3g.40gb} has 3), or {@code -1} when the
     * name does not follow the {@code <N>g.<M>gb} scheme.
     */
    public static int computeSlicesOf(String profileName) {
        Matcher m = COMPUTE.matcher(profileName);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
