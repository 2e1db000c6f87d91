package io.atrium.vmm.gpu;

import java.util.List;
import java.util.Optional;

/**
 * Placement that keeps large blocks placeable.
 *
 * <p>For every free (GPU, start) candidate it computes the damage the placement does: for each profile of that
 * GPU, largest first, how many fewer instances of it would still fit ({@link MigAllocator#capacity()} minus
 * {@link MigAllocator#capacityAfter}). The candidate with the lexicographically smallest damage wins, so a
 * placement that costs a {@code 7g} or {@code 4g} slot is only taken when every other one does too. Ties go to
 * the fuller GPU (packing leaves whole GPUs for large profiles), then to the lower GPU index and start.
 *
 * <p>On an empty H100 this puts a {@code 1g.10gb} at memory slice 6, which keeps {@code 4g.40gb} at 0,
 * {@code 3g.40gb} at 0 and all three {@code 2g.20gb} placements.
 */
public final class BestFitMigPolicy implements MigPlacementPolicy {

    @Override
    public Optional<Choice> choose(String profileName, List<MigAllocator> gpus) {
        Choice best = null;
        int[] bestDamage = null;
        int bestUsed = -1;
        for (MigAllocator gpu : gpus) {
            Optional<MigProfile> profile = gpu.profile(profileName);
            if (profile.isEmpty()) {
                continue;
            }
            int[] before = gpu.capacity();
            int used = gpu.usedMemorySlices();
            for (int start : gpu.freeStarts(profile.get())) {
                int[] after = gpu.capacityAfter(profile.get(), start);
                int[] damage = new int[before.length];
                for (int i = 0; i < damage.length; i++) {
                    damage[i] = before[i] - after[i];
                }
                if (best == null || better(damage, used, bestDamage, bestUsed)) {
                    best = new Choice(gpu, profile.get(), start);
                    bestDamage = damage;
                    bestUsed = used;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Strictly better only; candidates arrive in GPU index then start order, so ties keep the earlier one. */
    private static boolean better(int[] damage, int used, int[] bestDamage, int bestUsed) {
        int n = Math.max(damage.length, bestDamage.length);
        for (int i = 0; i < n; i++) {
            int a = i < damage.length ? damage[i] : 0;
            int b = i < bestDamage.length ? bestDamage[i] : 0;
            if (a != b) {
                return a < b;
            }
        }
        return used > bestUsed;
    }

    @Override
    public String name() {
        return "best-fit";
    }
}
