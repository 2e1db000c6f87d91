package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * MIG GPU-instance accounting for one GPU, exact to the placement rules nvidia-smi reports.
 *
 * <p>Invariants, checked by {@link #canPlace} and kept by {@link #place}:
 * <ul>
 *   <li>an instance of profile {@code p} starts at one of {@code p.placement().starts()} and occupies memory
 *       slices {@code [start, start + p.memorySlices())};</li>
 *   <li>no two instances share a memory slice;</li>
 *   <li>the compute slices of all instances sum to at most {@link #computeSlices()} (the {@code N} of the
 *       largest {@code Ng.} profile: 7 on H100);</li>
 *   <li>at most {@code p.instancesTotal()} instances of {@code p} exist at once (the {@code Total} of
 *       {@code -lgip}, e.g. one {@code 1g.10gb+me}).</li>
 * </ul>
 *
 * <p>Not thread-safe; {@link GpuPool} serialises access.
 */
public final class MigAllocator {

    /** One placed GPU instance. */
    public record Instance(String id, MigProfile profile, int start) {
        /** One past its last memory slice. */
        public int end() {
            return start + profile.memorySlices();
        }
    }

    private final GpuDevice gpu;
    private final List<MigProfile> profiles;
    private final int memorySlices;
    private final int computeSlices;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final int[] counts;
    private long usedMask;
    private int usedCompute;

    public MigAllocator(GpuDevice gpu) {
        this.gpu = Objects.requireNonNull(gpu, "gpu");
        if (!gpu.supportsMig()) {
            throw new IllegalArgumentException("GPU " + gpu.index() + " (" + gpu.name() + ") has no MIG profiles");
        }
        this.profiles = gpu.migProfiles();
        this.memorySlices = gpu.migMemorySlices();
        this.computeSlices = gpu.migComputeSlices();
        if (memorySlices > Long.SIZE - 1) {
            throw new IllegalArgumentException("GPU " + gpu.index() + " has " + memorySlices
                    + " memory slices, more than supported");
        }
        this.counts = new int[profiles.size()];
    }

    public GpuDevice gpu() {
        return gpu;
    }

    /** Profiles of this GPU, largest first ({@link GpuDevice#LARGEST_FIRST}). */
    public List<MigProfile> profiles() {
        return profiles;
    }

    public Optional<MigProfile> profile(String name) {
        return profiles.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public int memorySlices() {
        return memorySlices;
    }

    public int computeSlices() {
        return computeSlices;
    }

    public int usedMemorySlices() {
        return Long.bitCount(usedMask);
    }

    public int usedComputeSlices() {
        return usedCompute;
    }

    public boolean isEmpty() {
        return instances.isEmpty();
    }

    /** Placed instances in placement order. */
    public List<Instance> instances() {
        return List.copyOf(instances.values());
    }

    /** Whether memory slice {@code slice} is occupied. */
    public boolean isUsed(int slice) {
        return (usedMask & (1L << slice)) != 0;
    }

    public boolean canPlace(MigProfile p, int start) {
        int pi = indexOf(p);
        return ok(pi, start, usedMask, usedCompute, counts[pi]);
    }

    /** Starts at which {@code p} could be placed now, ascending. */
    public List<Integer> freeStarts(MigProfile p) {
        int pi = indexOf(p);
        List<Integer> free = new ArrayList<>();
        for (int s : p.placement().starts()) {
            if (ok(pi, s, usedMask, usedCompute, counts[pi])) {
                free.add(s);
            }
        }
        return free;
    }

    /**
     * Places an instance.
     *
     * @throws IllegalStateException with the reason when {@code p} cannot be placed at {@code start}
     */
    public Instance place(String id, MigProfile p, int start) {
        Objects.requireNonNull(id, "id");
        if (instances.containsKey(id)) {
            throw new IllegalStateException("GPU " + gpu.index() + " already has an instance " + id);
        }
        int pi = indexOf(p);
        if (!ok(pi, start, usedMask, usedCompute, counts[pi])) {
            throw new IllegalStateException(placeRefusal(p, start));
        }
        Instance instance = new Instance(id, p, start);
        instances.put(id, instance);
        usedMask |= rangeMask(start, p.memorySlices());
        usedCompute += p.computeSlices();
        counts[pi]++;
        return instance;
    }

    public Optional<Instance> release(String id) {
        Instance instance = instances.remove(id);
        if (instance == null) {
            return Optional.empty();
        }
        usedMask &= ~rangeMask(instance.start(), instance.profile().memorySlices());
        usedCompute -= instance.profile().computeSlices();
        counts[indexOf(instance.profile())]--;
        return Optional.of(instance);
    }

    /**
     * How many more instances of {@code p} could be placed together now. Exact: instances of one profile have
     * equal size, so taking the lowest free start each time (earliest finish) places the most of them; compute
     * slices and the instance limit then cap that number.
     */
    public int fits(MigProfile p) {
        int pi = indexOf(p);
        return fits(pi, usedMask, usedCompute, counts[pi]);
    }

    /** Profiles that still fit, by name, with how many more instances of each fit (largest profiles first). */
    public Map<String, Integer> whatFits() {
        Map<String, Integer> fits = new LinkedHashMap<>();
        for (int i = 0; i < profiles.size(); i++) {
            int n = fits(i, usedMask, usedCompute, counts[i]);
            if (n > 0) {
                fits.put(profiles.get(i).name(), n);
            }
        }
        return fits;
    }

    /** {@link #fits} of every profile, in {@link #profiles()} order. */
    public int[] capacity() {
        int[] v = new int[profiles.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = fits(i, usedMask, usedCompute, counts[i]);
        }
        return v;
    }

    /** {@link #capacity()} as it would be after placing {@code p} at {@code start} (which must be possible). */
    public int[] capacityAfter(MigProfile p, int start) {
        int pi = indexOf(p);
        if (!ok(pi, start, usedMask, usedCompute, counts[pi])) {
            throw new IllegalStateException(placeRefusal(p, start));
        }
        long mask = usedMask | rangeMask(start, p.memorySlices());
        int compute = usedCompute + p.computeSlices();
        int[] v = new int[profiles.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = fits(i, mask, compute, counts[i] + (i == pi ? 1 : 0));
        }
        return v;
    }

    /** Memory slices of the largest profile that can still be placed, 0 when none can. */
    public int largestPlaceableMemorySlices() {
        int best = 0;
        for (int i = 0; i < profiles.size(); i++) {
            if (fits(i, usedMask, usedCompute, counts[i]) > 0) {
                best = Math.max(best, profiles.get(i).memorySlices());
            }
        }
        return best;
    }

    /** Memory slices no instance occupies. */
    public int freeMemorySlices() {
        return memorySlices - usedMemorySlices();
    }

    /**
     * Why no instance of {@code p} can be placed now, e.g.
     * {@code no 3g.40gb placement free on GPU 0: memory slices 0-3 (partly used), 4-7 (used)}; empty when one can.
     */
    public Optional<String> refusalReason(MigProfile p) {
        int pi = indexOf(p);
        if (fits(pi, usedMask, usedCompute, counts[pi]) > 0) {
            return Optional.empty();
        }
        if (counts[pi] >= p.instancesTotal()) {
            return Optional.of("all " + p.instancesTotal() + " " + p.name() + " instance(s) GPU " + gpu.index()
                    + " allows are in use");
        }
        List<String> reasons = new ArrayList<>();
        boolean memoryFree = false;
        List<String> ranges = new ArrayList<>();
        for (int s : p.placement().starts()) {
            long range = rangeMask(s, p.memorySlices());
            if ((usedMask & range) == 0) {
                memoryFree = true;
            }
            String state = (usedMask & range) == range ? "used" : "partly used";
            ranges.add(describeRange(s, p.memorySlices()) + " (" + state + ")");
        }
        if (!memoryFree) {
            reasons.add("no " + p.name() + " placement free on GPU " + gpu.index() + ": memory slices "
                    + String.join(", ", ranges));
        }
        int freeCompute = computeSlices - usedCompute;
        if (freeCompute < p.computeSlices()) {
            reasons.add(p.name() + " needs " + p.computeSlices() + " compute slice(s), GPU " + gpu.index()
                    + " has " + freeCompute + " of " + computeSlices + " free");
        }
        return Optional.of(String.join("; ", reasons));
    }

    private String placeRefusal(MigProfile p, int start) {
        if (!p.placement().starts().contains(start)) {
            return p.name() + " cannot start at memory slice " + start + " on GPU " + gpu.index()
                    + "; allowed placements " + p.placement();
        }
        int pi = indexOf(p);
        if (counts[pi] >= p.instancesTotal()) {
            return refusalReason(p).orElseThrow();
        }
        if (usedCompute + p.computeSlices() > computeSlices) {
            return p.name() + " needs " + p.computeSlices() + " compute slice(s), GPU " + gpu.index() + " has "
                    + (computeSlices - usedCompute) + " of " + computeSlices + " free";
        }
        List<String> owners = new ArrayList<>();
        for (Instance i : instances.values()) {
            if (i.start() < start + p.memorySlices() && start < i.end()) {
                owners.add(i.profile().name() + " at " + describeRange(i.start(), i.profile().memorySlices()));
            }
        }
        return "memory slices " + describeRange(start, p.memorySlices()) + " of GPU " + gpu.index()
                + " overlap " + String.join(", ", owners);
    }

    private static String describeRange(int start, int size) {
        return size == 1 ? String.valueOf(start) : start + "-" + (start + size - 1);
    }

    private boolean ok(int pi, int start, long mask, int compute, int count) {
        MigProfile p = profiles.get(pi);
        if (count >= p.instancesTotal() || compute + p.computeSlices() > computeSlices) {
            return false;
        }
        if (!p.placement().starts().contains(start)) {
            return false;
        }
        return (mask & rangeMask(start, p.memorySlices())) == 0;
    }

    private int fits(int pi, long mask, int compute, int count) {
        MigProfile p = profiles.get(pi);
        int byInstances = p.instancesTotal() - count;
        int byCompute = (computeSlices - compute) / p.computeSlices();
        int limit = Math.min(byInstances, byCompute);
        int placed = 0;
        long m = mask;
        for (int s : p.placement().starts()) {
            if (placed >= limit) {
                break;
            }
            long r = rangeMask(s, p.memorySlices());
            if ((m & r) == 0) {
                m |= r;
                placed++;
            }
        }
        return Math.max(0, Math.min(placed, limit));
    }

    private int indexOf(MigProfile p) {
        int i = profiles.indexOf(p);
        if (i < 0) {
            throw new IllegalArgumentException("profile " + p.name() + " does not belong to GPU " + gpu.index());
        }
        return i;
    }

    private static long rangeMask(int start, int size) {
        return ((1L << size) - 1) << start;
    }

    /** Sum of {@link MigProfile#memoryMiB()} of the given instances. */
    static long memoryMiB(Collection<Instance> instances) {
        return instances.stream().mapToLong(i -> i.profile().memoryMiB()).sum();
    }
}
