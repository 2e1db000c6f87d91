package io.atrium.vmm.gpu;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Time-sliced vGPU accounting for one GPU. Invariants: all instances on the GPU use the same profile
 * (homogeneous, as time-sliced vGPU requires); at most {@link TimeSlicedProfile#maxInstances()} of them; each
 * holds a distinct slot {@code 0 <= slot < maxInstances}. When the last instance goes, any profile may be used
 * again. Not thread-safe; {@link GpuPool} serialises access.
 */
public final class TimeSlicedAllocator {

    /** One time-sliced instance in slot {@code slot}. */
    public record Instance(String id, TimeSlicedProfile profile, int slot) {
    }

    private final GpuDevice gpu;
    private final List<TimeSlicedProfile> profiles;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private TimeSlicedProfile active;
    private boolean[] slots = new boolean[0];

    public TimeSlicedAllocator(GpuDevice gpu) {
        this.gpu = Objects.requireNonNull(gpu, "gpu");
        this.profiles = TimeSlicedProfile.forGpu(gpu);
    }

    public GpuDevice gpu() {
        return gpu;
    }

    /** All profiles of this GPU, smallest first. */
    public List<TimeSlicedProfile> profiles() {
        return profiles;
    }

    public Optional<TimeSlicedProfile> profile(String name) {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The profile every current instance uses; empty when the GPU holds none. */
    public Optional<TimeSlicedProfile> activeProfile() {
        return Optional.ofNullable(active);
    }

    public boolean isEmpty() {
        return instances.isEmpty();
    }

    public List<Instance> instances() {
        return List.copyOf(instances.values());
    }

    public int used() {
        return instances.size();
    }

    /** How many more instances of {@code p} fit now. */
    public int fits(TimeSlicedProfile p) {
        if (active == null) {
            return p.maxInstances();
        }
        return active.equals(p) ? active.maxInstances() - instances.size() : 0;
    }

    /** Profiles that still fit with how many more instances, smallest first. */
    public Map<String, Integer> whatFits() {
        Map<String, Integer> fits = new LinkedHashMap<>();
        for (TimeSlicedProfile p : profiles) {
            int n = fits(p);
            if (n > 0) {
                fits.put(p.name(), n);
            }
        }
        return fits;
    }

    public Optional<String> refusalReason(TimeSlicedProfile p) {
        if (fits(p) > 0) {
            return Optional.empty();
        }
        if (!active.equals(p)) {
            return Optional.of("GPU " + gpu.index() + " holds " + active.name() + " slices; time-sliced vGPU allows"
                    + " one profile size per GPU at a time");
        }
        return Optional.of("all " + p.maxInstances() + " " + p.name() + " slices of GPU " + gpu.index()
                + " are in use");
    }

    /** Places an instance in the lowest free slot. */
    public Instance place(String id, TimeSlicedProfile p) {
        if (fits(p) <= 0) {
            throw new IllegalStateException(refusalReason(p).orElseThrow());
        }
        int slot = 0;
        boolean[] current = active == null ? new boolean[p.maxInstances()] : slots;
        while (current[slot]) {
            slot++;
        }
        return placeAt(id, p, slot);
    }

    /** Places an instance in a given slot (used when restoring persisted state). */
    public Instance placeAt(String id, TimeSlicedProfile p, int slot) {
        Objects.requireNonNull(id, "id");
        if (!profiles.contains(p)) {
            throw new IllegalArgumentException("profile " + p.name() + " does not belong to GPU " + gpu.index());
        }
        if (instances.containsKey(id)) {
            throw new IllegalStateException("GPU " + gpu.index() + " already has an instance " + id);
        }
        if (fits(p) <= 0) {
            throw new IllegalStateException(refusalReason(p).orElseThrow());
        }
        if (slot < 0 || slot >= p.maxInstances()) {
            throw new IllegalStateException("slot " + slot + " outside 0-" + (p.maxInstances() - 1) + " of "
                    + p.name() + " on GPU " + gpu.index());
        }
        if (active == null) {
            active = p;
            slots = new boolean[p.maxInstances()];
        }
        if (slots[slot]) {
            throw new IllegalStateException("slot " + slot + " of GPU " + gpu.index() + " is already in use");
        }
        slots[slot] = true;
        Instance instance = new Instance(id, p, slot);
        instances.put(id, instance);
        return instance;
    }

    public Optional<Instance> release(String id) {
        Instance instance = instances.remove(id);
        if (instance == null) {
            return Optional.empty();
        }
        slots[instance.slot()] = false;
        if (instances.isEmpty()) {
            active = null;
            slots = new boolean[0];
        }
        return Optional.of(instance);
    }
}
