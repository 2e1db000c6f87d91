package io.atrium.vmm.gpu.bench;

import io.atrium.vmm.gpu.GpuDevice;
import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuRefusedException;
import io.atrium.vmm.gpu.GpuSlice;
import io.atrium.vmm.gpu.MigAllocator;
import io.atrium.vmm.gpu.MigPlacementPolicy;
import io.atrium.vmm.gpu.MigProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Replays a {@link MigTrace} against a fresh {@link GpuPool} of the given GPUs with one placement policy. */
public final class MigReplay {

    /**
     * Outcome of one replay.
     *
     * @param requests          arrivals in the trace
     * @param accepted          arrivals that got a slice
     * @param requestedSlices   memory slices asked for by all arrivals
     * @param acceptedSlices    memory slices of accepted arrivals
     * @param refusedWithRoom   refusals while at least one GPU had as many free memory slices and free compute
     *                          slices as the profile needs (refused by placement rules / fragmentation, not by
     *                          capacity)
     * @param meanFragmentation previous metric, kept for comparison: after every step, per GPU with free memory
     *                          slices, {@code 1 - (memory slices of the largest still placeable profile) / (free
     *                          memory slices)}, averaged over those GPUs (unweighted, so a packed GPU with one
     *                          stranded slice counts as much as an empty GPU), then over the steps
     * @param meanStrandedShare after every step, over all GPUs together: free memory slices that the largest profile
     *                          still placeable on their GPU cannot use, divided by all free memory slices (0 when
     *                          nothing is free); averaged over the steps. Lower is better
     * @param meanEmptyGpus     GPUs holding nothing (the only ones a {@code 7g.80gb} fits), averaged over the steps
     * @param mean4gSlots       {@code 4g.40gb} instances still placeable over all GPUs, averaged over the steps
     * @param byProfile         per requested profile: {requests, accepted}
     */
    public record Result(String policy, int requests, int accepted, long requestedSlices, long acceptedSlices,
                         int refusedWithRoom, double meanFragmentation, double meanStrandedShare,
                         double meanEmptyGpus, double mean4gSlots, Map<String, int[]> byProfile) {

        public double acceptanceRate() {
            return requests == 0 ? 1.0 : (double) accepted / requests;
        }

        public double sliceAcceptanceRate() {
            return requestedSlices == 0 ? 1.0 : (double) acceptedSlices / requestedSlices;
        }
    }

    private MigReplay() {
    }

    public static Result replay(MigTrace trace, List<GpuDevice> gpus, MigPlacementPolicy policy) {
        return replay(trace, gpus, policy, pool -> { });
    }

    /** Replays, calling {@code afterEachStep} with the pool after every step (for invariant checks). */
    public static Result replay(MigTrace trace, List<GpuDevice> gpus, MigPlacementPolicy policy,
                                Consumer<GpuPool> afterEachStep) {
        AtomicLong ids = new AtomicLong();
        GpuPool pool = new GpuPool(gpus, policy, () -> "r" + ids.incrementAndGet());
        Map<Integer, String> sliceOf = new HashMap<>();
        // MigAllocators mirroring the pool, for the room and fragmentation measurements
        Map<Integer, MigAllocator> mirror = new HashMap<>();
        for (GpuDevice gpu : gpus) {
            mirror.put(gpu.index(), new MigAllocator(gpu));
        }
        int requests = 0;
        int accepted = 0;
        long requestedSlices = 0;
        long acceptedSlices = 0;
        int refusedWithRoom = 0;
        double fragmentationSum = 0;
        double strandedSum = 0;
        double emptySum = 0;
        double slots4gSum = 0;
        Map<String, int[]> byProfile = new java.util.LinkedHashMap<>();
        trace.mix().keySet().forEach(p -> byProfile.put(p, new int[2]));
        for (MigTrace.Step step : trace.steps()) {
            if (step.arrival()) {
                requests++;
                MigProfile profile = profileOf(gpus.getFirst(), step.profile());
                requestedSlices += profile.memorySlices();
                int[] counts = byProfile.computeIfAbsent(step.profile(), k -> new int[2]);
                counts[0]++;
                try {
                    GpuSlice slice = pool.allocate(step.profile(), "req-" + step.request());
                    accepted++;
                    counts[1]++;
                    acceptedSlices += profile.memorySlices();
                    sliceOf.put(step.request(), slice.id());
                    mirror.get(slice.gpuIndex()).place(slice.id(), profile, slice.start());
                } catch (GpuRefusedException refused) {
                    if (hasRoom(mirror.values(), profile)) {
                        refusedWithRoom++;
                    }
                }
            } else {
                String id = sliceOf.remove(step.request());
                if (id != null) {
                    if (!pool.release(id)) {
                        throw new IllegalStateException("pool lost slice " + id);
                    }
                    mirror.values().forEach(m -> m.release(id));
                }
            }
            fragmentationSum += fragmentation(mirror.values());
            strandedSum += strandedShare(mirror.values());
            for (MigAllocator m : mirror.values()) {
                emptySum += m.isEmpty() ? 1 : 0;
                slots4gSum += m.profile("4g.40gb").map(m::fits).orElse(0);
            }
            afterEachStep.accept(pool);
        }
        int n = Math.max(1, trace.steps().size());
        return new Result(policy.name(), requests, accepted, requestedSlices, acceptedSlices, refusedWithRoom,
                fragmentationSum / n, strandedSum / n, emptySum / n, slots4gSum / n, byProfile);
    }

    private static MigProfile profileOf(GpuDevice gpu, String name) {
        return gpu.migProfiles().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("GPU has no profile " + name));
    }

    private static boolean hasRoom(Iterable<MigAllocator> gpus, MigProfile profile) {
        for (MigAllocator gpu : gpus) {
            if (gpu.freeMemorySlices() >= profile.memorySlices()
                    && gpu.computeSlices() - gpu.usedComputeSlices() >= profile.computeSlices()) {
                return true;
            }
        }
        return false;
    }

    /** Free memory slices the largest still-placeable profile of their GPU cannot use, over all free memory slices. */
    static double strandedShare(Iterable<MigAllocator> gpus) {
        int free = 0;
        int stranded = 0;
        for (MigAllocator gpu : gpus) {
            free += gpu.freeMemorySlices();
            stranded += gpu.freeMemorySlices() - gpu.largestPlaceableMemorySlices();
        }
        return free == 0 ? 0 : (double) stranded / free;
    }

    static double fragmentation(Iterable<MigAllocator> gpus) {
        double sum = 0;
        int counted = 0;
        for (MigAllocator gpu : gpus) {
            int free = gpu.freeMemorySlices();
            if (free > 0) {
                sum += 1.0 - (double) gpu.largestPlaceableMemorySlices() / free;
                counted++;
            }
        }
        return counted == 0 ? 0 : sum / counted;
    }
}
