package io.atrium.vmm.gpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Accounting of GPU shares on one host: which desktop holds which slice of which GPU, in which sharing mode.
 *
 * <p>Each GPU is in one {@link GpuMode}. In {@link GpuMode#MIG MIG} mode slices are MIG GPU instances placed by a
 * {@link MigPlacementPolicy} under the rules of {@link MigAllocator}; in {@link GpuMode#TIME_SLICED TIME_SLICED}
 * mode they are equal {@link TimeSlicedProfile time-sliced} shares of one size per GPU; in {@link GpuMode#NONE
 * NONE} mode the whole GPU goes to at most one desktop as profile {@value #FULL_PROFILE}.
 *
 * <p>This is accounting only: allocating, releasing and {@link #switchMode switching modes} never touch the
 * hardware. On a real GPU the hardware must already be in the matching state (MIG enabled for MIG mode, disabled
 * otherwise); an administrator changes that with nvidia-smi ({@code nvidia-smi -i <index> -mig 1|0} and a GPU
 * reset), and this class refuses modes the hardware does not have.
 *
 * <p>All methods are thread-safe; each runs atomically under one lock.
 */
public final class GpuPool {

    /** Profile name of a whole, unshared GPU (mode {@link GpuMode#NONE}). */
    public static final String FULL_PROFILE = "full";

    private final Object lock = new Object();
    private final List<GpuDevice> devices;
    private final MigPlacementPolicy policy;
    private final Supplier<String> ids;
    private List<GpuState> states;

    /** A pool with the given placement policy and random UUID slice ids. */
    public GpuPool(List<GpuDevice> gpus, MigPlacementPolicy policy) {
        this(gpus, policy, () -> UUID.randomUUID().toString());
    }

    /**
     * A pool whose slice ids come from {@code ids} (which must not repeat). GPUs start in
     * {@link #defaultMode(GpuDevice)}.
     */
    public GpuPool(List<GpuDevice> gpus, MigPlacementPolicy policy, Supplier<String> ids) {
        this.devices = gpus.stream().sorted(Comparator.comparingInt(GpuDevice::index)).toList();
        Set<Integer> indexes = new LinkedHashSet<>();
        for (GpuDevice d : devices) {
            if (!indexes.add(d.index())) {
                throw new IllegalArgumentException("duplicate GPU index " + d.index());
            }
        }
        this.policy = Objects.requireNonNull(policy, "policy");
        this.ids = Objects.requireNonNull(ids, "ids");
        List<GpuState> initial = new ArrayList<>();
        for (GpuDevice d : devices) {
            initial.add(new GpuState(d, defaultMode(d)));
        }
        this.states = List.copyOf(initial);
    }

    /** A pool over the GPUs of {@code inventory}, placing MIG instances with {@link BestFitMigPolicy}. */
    public static GpuPool of(GpuInventory inventory) {
        return new GpuPool(inventory.discover(), new BestFitMigPolicy());
    }

    /**
     * Mode a GPU starts in: a real GPU is in MIG mode when its hardware MIG mode is enabled and otherwise NONE; a
     * simulated GPU is in MIG mode when its model has MIG profiles and otherwise NONE.
     */
    public static GpuMode defaultMode(GpuDevice gpu) {
        if (gpu.simulated()) {
            return gpu.supportsMig() ? GpuMode.MIG : GpuMode.NONE;
        }
        return gpu.migCurrent() == MigMode.ENABLED && gpu.supportsMig() ? GpuMode.MIG : GpuMode.NONE;
    }

    public List<GpuDevice> gpus() {
        return devices;
    }

    public MigPlacementPolicy policy() {
        return policy;
    }

    /**
     * Allocates one slice of {@code profile} on whichever GPU in a matching mode the policy picks.
     *
     * @param profile a MIG profile name ({@code 3g.40gb}), a time-sliced one ({@code ts-10gb}) or
     *                {@value #FULL_PROFILE}
     * @param owner   tag of the holder, e.g. a desktop id
     * @throws GpuRefusedException with a reason per GPU when it fits nowhere
     */
    public GpuSlice allocate(String profile, String owner) {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(owner, "owner");
        synchronized (lock) {
            return allocate(profile, owner, states);
        }
    }

    /** Like {@link #allocate(String, String)} but only on GPU {@code gpuIndex}. */
    public GpuSlice allocateOn(int gpuIndex, String profile, String owner) {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(owner, "owner");
        synchronized (lock) {
            return allocate(profile, owner, List.of(state(gpuIndex)));
        }
    }

    /**
     * Every profile name some GPU of this host knows, in any mode: MIG profiles (largest first), time-sliced
     * {@code ts-<N>gb} sizes, and {@value #FULL_PROFILE} when there is a GPU. Which of them can be allocated now
     * depends on each GPU's mode and use ({@link #whatFits()}).
     */
    public List<String> profileNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        devices.stream().flatMap(d -> d.migProfiles().stream()).sorted(GpuDevice.LARGEST_FIRST)
                .forEach(p -> names.add(p.name()));
        devices.stream().flatMap(d -> TimeSlicedProfile.forGpu(d).stream())
                .sorted(Comparator.comparingInt(TimeSlicedProfile::framebufferGiB))
                .forEach(p -> names.add(p.name()));
        if (!devices.isEmpty()) {
            names.add(FULL_PROFILE);
        }
        return List.copyOf(names);
    }

    /** Whether some GPU of this host knows {@code profile} ({@link #profileNames()}). */
    public boolean knowsProfile(String profile) {
        if (profile == null) {
            return false;
        }
        if (FULL_PROFILE.equals(profile)) {
            return !devices.isEmpty();
        }
        return devices.stream().anyMatch(d -> d.migProfiles().stream().anyMatch(p -> p.name().equals(profile))
                || TimeSlicedProfile.find(d, profile).isPresent());
    }

    /** The slices held by {@code owner}. */
    public List<GpuSlice> slicesOf(String owner) {
        synchronized (lock) {
            return states.stream().flatMap(s -> s.slices.values().stream())
                    .filter(sl -> sl.owner().equals(owner)).toList();
        }
    }

    /** The GPU with nvidia-smi index {@code gpuIndex}, if this host has it. */
    public Optional<GpuDevice> gpu(int gpuIndex) {
        return devices.stream().filter(d -> d.index() == gpuIndex).findFirst();
    }

    /** Releases a slice; false when no slice has that id. */
    public boolean release(String sliceId) {
        synchronized (lock) {
            for (GpuState s : states) {
                GpuSlice slice = s.slices.remove(sliceId);
                if (slice != null) {
                    switch (slice.mode()) {
                        case MIG -> s.mig.release(sliceId);
                        case TIME_SLICED -> s.ts.release(sliceId);
                        case NONE -> {
                            // the slice map was the only record
                        }
                    }
                    return true;
                }
            }
            return false;
        }
    }

    public Optional<GpuSlice> slice(String sliceId) {
        synchronized (lock) {
            return states.stream().map(s -> s.slices.get(sliceId)).filter(Objects::nonNull).findFirst();
        }
    }

    /** Every slice held, by GPU index then allocation order: the list to persist. */
    public List<GpuSlice> slices() {
        synchronized (lock) {
            return states.stream().flatMap(s -> s.slices.values().stream()).toList();
        }
    }

    public GpuMode mode(int gpuIndex) {
        synchronized (lock) {
            return state(gpuIndex).mode;
        }
    }

    /** Per GPU index: the profiles that can still be allocated in its current mode, with how many more. */
    public Map<Integer, Map<String, Integer>> whatFits() {
        synchronized (lock) {
            Map<Integer, Map<String, Integer>> fits = new LinkedHashMap<>();
            for (GpuState s : states) {
                fits.put(s.device.index(), Map.copyOf(s.fits()));
            }
            return fits;
        }
    }

    /**
     * Changes the sharing mode of an empty GPU (accounting only).
     *
     * @throws GpuRefusedException when the GPU holds slices, or the hardware is not in a state that allows the
     *                             mode (a real GPU needs MIG enabled by an administrator for MIG mode, and
     *                             disabled for the others)
     */
    public void switchMode(int gpuIndex, GpuMode mode) {
        Objects.requireNonNull(mode, "mode");
        synchronized (lock) {
            GpuState s = state(gpuIndex);
            if (s.mode == mode) {
                return;
            }
            if (!s.slices.isEmpty()) {
                Set<String> owners = s.slices.values().stream().map(GpuSlice::owner)
                        .collect(Collectors.toCollection(LinkedHashSet::new));
                throw new GpuRefusedException("GPU " + gpuIndex + " has " + s.slices.size() + " slice(s) in use by "
                        + "desktops " + String.join(", ", owners) + "; release them before switching from "
                        + s.mode + " to " + mode);
            }
            Optional<String> problem = modeProblem(s.device, mode);
            if (problem.isPresent()) {
                throw new GpuRefusedException(problem.get());
            }
            s.mode = mode;
        }
    }

    /** State of every GPU for the UI. */
    public GpuPoolSnapshot snapshot() {
        synchronized (lock) {
            return new GpuPoolSnapshot(states.stream().map(GpuState::snapshot).toList(), policy.name());
        }
    }

    /**
     * Replaces all slices with persisted ones. A GPU that receives slices takes their mode; the others keep
     * theirs. Every slice is checked against its GPU (index, UUID, simulated flag, mode allowed by the hardware,
     * profile, placement) and against the slices before it in the list (ids, overlaps, compute, instance limits,
     * one time-sliced profile per GPU). If any slice is rejected nothing changes.
     *
     * @throws GpuRestoreException listing every rejected slice with its reason
     */
    public void restore(List<GpuSlice> persisted) {
        synchronized (lock) {
            List<GpuState> fresh = new ArrayList<>();
            for (GpuState s : states) {
                fresh.add(new GpuState(s.device, s.mode));
            }
            Map<Integer, GpuState> byIndex = fresh.stream()
                    .collect(Collectors.toMap(s -> s.device.index(), s -> s));
            Map<String, String> rejected = new LinkedHashMap<>();
            Set<String> seen = new LinkedHashSet<>();
            for (GpuSlice slice : persisted) {
                if (!seen.add(slice.id())) {
                    rejected.put(slice.id(), "duplicate slice id");
                    continue;
                }
                GpuState s = byIndex.get(slice.gpuIndex());
                Optional<String> problem = s == null
                        ? Optional.of("no GPU " + slice.gpuIndex() + " on this host")
                        : s.restore(slice);
                problem.ifPresent(reason -> rejected.put(slice.id(), reason));
            }
            if (!rejected.isEmpty()) {
                throw new GpuRestoreException(rejected);
            }
            states = List.copyOf(fresh);
        }
    }

    private GpuSlice allocate(String profile, String owner, List<GpuState> candidates) {
        if (devices.isEmpty()) {
            throw new GpuRefusedException("no GPUs on this host");
        }
        if (FULL_PROFILE.equals(profile)) {
            for (GpuState s : candidates) {
                if (s.mode == GpuMode.NONE && s.slices.isEmpty()) {
                    return s.add(new GpuSlice(newId(), s.device.index(), s.device.uuid(), GpuMode.NONE,
                            FULL_PROFILE, 0, 1, owner, s.device.simulated()));
                }
            }
        } else if (TimeSlicedProfile.isTimeSlicedName(profile)) {
            Optional<GpuState> target = candidates.stream()
                    .filter(s -> s.mode == GpuMode.TIME_SLICED)
                    .filter(s -> s.ts.profile(profile).map(p -> s.ts.fits(p) > 0).orElse(false))
                    // fill GPUs already holding this size (fullest first) before opening an empty one
                    .min(Comparator.comparing((GpuState s) -> s.ts.isEmpty())
                            .thenComparing(Comparator.comparingInt((GpuState s) -> s.ts.used()).reversed())
                            .thenComparingInt(s -> s.device.index()));
            if (target.isPresent()) {
                GpuState s = target.get();
                TimeSlicedProfile p = s.ts.profile(profile).orElseThrow();
                String id = newId();
                TimeSlicedAllocator.Instance i = s.ts.place(id, p);
                return s.add(new GpuSlice(id, s.device.index(), s.device.uuid(), GpuMode.TIME_SLICED, profile,
                        i.slot(), 1, owner, s.device.simulated()));
            }
        } else {
            List<MigAllocator> mig = candidates.stream().filter(s -> s.mode == GpuMode.MIG).map(s -> s.mig).toList();
            Optional<MigPlacementPolicy.Choice> choice = policy.choose(profile, mig);
            if (choice.isPresent()) {
                MigPlacementPolicy.Choice c = choice.get();
                GpuState s = candidates.stream().filter(st -> st.mig == c.gpu()).findFirst().orElseThrow();
                String id = newId();
                s.mig.place(id, c.profile(), c.start());
                return s.add(new GpuSlice(id, s.device.index(), s.device.uuid(), GpuMode.MIG, profile, c.start(),
                        c.profile().memorySlices(), owner, s.device.simulated()));
            }
        }
        throw new GpuRefusedException(refusal(profile, candidates));
    }

    private String refusal(String profile, List<GpuState> candidates) {
        boolean known = FULL_PROFILE.equals(profile)
                || states.stream().anyMatch(s -> (s.mig != null && s.mig.profile(profile).isPresent())
                || s.ts.profile(profile).isPresent());
        if (!known) {
            return "unknown GPU profile '" + profile + "'; profiles are MIG ones (e.g. "
                    + states.stream().filter(s -> s.mig != null).findFirst()
                    .map(s -> s.mig.profiles().getLast().name()).orElse("none on this host")
                    + "), time-sliced ts-<N>gb where N divides the GPU's framebuffer in GiB, or " + FULL_PROFILE;
        }
        List<String> reasons = new ArrayList<>();
        for (GpuState s : candidates) {
            reasons.add(s.whyNot(profile));
        }
        return "cannot allocate " + profile + ": " + String.join("; ", reasons);
    }

    private String newId() {
        String id = ids.get();
        for (GpuState s : states) {
            if (s.slices.containsKey(id)) {
                throw new IllegalStateException("slice id generator repeated " + id);
            }
        }
        return id;
    }

    private GpuState state(int gpuIndex) {
        for (GpuState s : states) {
            if (s.device.index() == gpuIndex) {
                return s;
            }
        }
        throw new IllegalArgumentException("no GPU " + gpuIndex + " on this host");
    }

    /** Why {@code gpu} cannot be in {@code mode}; empty when it can. */
    static Optional<String> modeProblem(GpuDevice gpu, GpuMode mode) {
        String which = "GPU " + gpu.index() + " (" + gpu.name() + ")";
        if (mode == GpuMode.MIG && !gpu.supportsMig()) {
            return Optional.of(which + " reports no MIG GPU-instance profiles");
        }
        if (mode == GpuMode.TIME_SLICED && TimeSlicedProfile.nominalFramebufferGiB(gpu) < 1) {
            return Optional.of(which + " has less than 1 GiB of framebuffer to share");
        }
        if (gpu.simulated()) {
            return Optional.empty();
        }
        if (mode == GpuMode.MIG && gpu.migCurrent() != MigMode.ENABLED) {
            return Optional.of(which + " has MIG mode " + gpu.migCurrent() + " on the hardware; an administrator"
                    + " must run 'nvidia-smi -i " + gpu.index() + " -mig 1' (and reset the GPU) before Atrium can"
                    + " place MIG slices on it");
        }
        if (mode != GpuMode.MIG && gpu.migCurrent() == MigMode.ENABLED) {
            return Optional.of(which + " has MIG enabled on the hardware; an administrator must run 'nvidia-smi -i "
                    + gpu.index() + " -mig 0' (and reset the GPU) before it can be used in " + mode + " mode");
        }
        return Optional.empty();
    }

    /** Mutable state of one GPU; only touched under {@link #lock}. */
    private static final class GpuState {
        final GpuDevice device;
        final MigAllocator mig;
        final TimeSlicedAllocator ts;
        final Map<String, GpuSlice> slices = new LinkedHashMap<>();
        GpuMode mode;

        GpuState(GpuDevice device, GpuMode mode) {
            this.device = device;
            this.mode = mode;
            this.mig = device.supportsMig() ? new MigAllocator(device) : null;
            this.ts = new TimeSlicedAllocator(device);
        }

        GpuSlice add(GpuSlice slice) {
            slices.put(slice.id(), slice);
            return slice;
        }

        Map<String, Integer> fits() {
            return switch (mode) {
                case MIG -> mig.whatFits();
                case TIME_SLICED -> ts.whatFits();
                case NONE -> slices.isEmpty() ? Map.of(FULL_PROFILE, 1) : Map.of();
            };
        }

        String whyNot(String profile) {
            String gpu = "GPU " + device.index();
            if (FULL_PROFILE.equals(profile)) {
                if (mode != GpuMode.NONE) {
                    return gpu + " is shared in " + mode + " mode";
                }
                return gpu + " is already given whole to " + slices.values().iterator().next().owner();
            }
            if (TimeSlicedProfile.isTimeSlicedName(profile)) {
                if (mode != GpuMode.TIME_SLICED) {
                    return gpu + " is in " + mode + " mode";
                }
                Optional<TimeSlicedProfile> p = ts.profile(profile);
                if (p.isEmpty()) {
                    return profile + " does not divide the " + TimeSlicedProfile.nominalFramebufferGiB(device)
                            + " GiB framebuffer of " + gpu + " (sizes: " + ts.profiles().stream()
                            .map(t -> String.valueOf(t.framebufferGiB())).collect(Collectors.joining(", ")) + ")";
                }
                return ts.refusalReason(p.get()).orElse(gpu + " has room");
            }
            if (mode != GpuMode.MIG) {
                return gpu + " is in " + mode + " mode";
            }
            Optional<MigProfile> p = mig.profile(profile);
            if (p.isEmpty()) {
                return gpu + " (" + device.name() + ") has no MIG profile " + profile;
            }
            return mig.refusalReason(p.get()).orElse(gpu + " has room but the policy chose none");
        }

        Optional<String> restore(GpuSlice slice) {
            if (!slice.gpuUuid().equals(device.uuid())) {
                return Optional.of("GPU " + device.index() + " is now " + device.uuid() + ", not " + slice.gpuUuid());
            }
            if (slice.simulated() != device.simulated()) {
                return Optional.of("slice is " + (slice.simulated() ? "simulated" : "real") + " but GPU "
                        + device.index() + " is " + (device.simulated() ? "simulated" : "real"));
            }
            if (slices.isEmpty() && mode != slice.mode()) {
                Optional<String> problem = modeProblem(device, slice.mode());
                if (problem.isPresent()) {
                    return problem;
                }
            } else if (mode != slice.mode()) {
                return Optional.of("GPU " + device.index() + " already holds " + mode + " slices, this one is "
                        + slice.mode());
            }
            try {
                switch (slice.mode()) {
                    case MIG -> {
                        Optional<MigProfile> p = mig.profile(slice.profile());
                        if (p.isEmpty()) {
                            return Optional.of("GPU " + device.index() + " has no MIG profile " + slice.profile());
                        }
                        if (p.get().memorySlices() != slice.size()) {
                            return Optional.of(slice.profile() + " occupies " + p.get().memorySlices()
                                    + " memory slices, not " + slice.size());
                        }
                        mig.place(slice.id(), p.get(), slice.start());
                    }
                    case TIME_SLICED -> {
                        Optional<TimeSlicedProfile> p = ts.profile(slice.profile());
                        if (p.isEmpty()) {
                            return Optional.of("GPU " + device.index() + " has no time-sliced profile "
                                    + slice.profile());
                        }
                        if (slice.size() != 1) {
                            return Optional.of("a time-sliced slice has size 1, not " + slice.size());
                        }
                        ts.placeAt(slice.id(), p.get(), slice.start());
                    }
                    case NONE -> {
                        if (!FULL_PROFILE.equals(slice.profile()) || slice.start() != 0 || slice.size() != 1) {
                            return Optional.of("a GPU in NONE mode holds only profile " + FULL_PROFILE
                                    + " at 0 with size 1");
                        }
                        if (!slices.isEmpty()) {
                            return Optional.of("GPU " + device.index() + " is already given whole to "
                                    + slices.values().iterator().next().owner());
                        }
                    }
                }
            } catch (IllegalStateException e) {
                return Optional.of(e.getMessage());
            }
            slices.put(slice.id(), slice);
            mode = slice.mode();
            return Optional.empty();
        }

        GpuSnapshot snapshot() {
            int usedCompute = 0;
            int usedMemorySlices = 0;
            long usedMiB = 0;
            String tsProfile = null;
            switch (mode) {
                case MIG -> {
                    usedCompute = mig.usedComputeSlices();
                    usedMemorySlices = mig.usedMemorySlices();
                    usedMiB = MigAllocator.memoryMiB(mig.instances());
                }
                case TIME_SLICED -> {
                    tsProfile = ts.activeProfile().map(TimeSlicedProfile::name).orElse(null);
                    usedMiB = ts.activeProfile().map(p -> p.memoryMiB() * ts.used()).orElse(0L);
                }
                case NONE -> usedMiB = slices.isEmpty() ? 0 : device.memoryTotalMiB();
            }
            return new GpuSnapshot(device.index(), device.uuid(), device.name(), device.model(), device.simulated(),
                    mode, device.migCurrent(), List.copyOf(slices.values()), usedCompute, device.migComputeSlices(),
                    usedMemorySlices, device.migMemorySlices(), usedMiB, device.memoryTotalMiB(), tsProfile, fits());
        }
    }
}
