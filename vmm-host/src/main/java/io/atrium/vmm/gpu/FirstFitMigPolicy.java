package io.atrium.vmm.gpu;

import java.util.List;
import java.util.Optional;

/** Baseline: the first GPU by index, and on it the lowest allowed start that is free. */
public final class FirstFitMigPolicy implements MigPlacementPolicy {

    @Override
    public Optional<Choice> choose(String profileName, List<MigAllocator> gpus) {
        for (MigAllocator gpu : gpus) {
            Optional<MigProfile> profile = gpu.profile(profileName);
            if (profile.isEmpty()) {
                continue;
            }
            List<Integer> free = gpu.freeStarts(profile.get());
            if (!free.isEmpty()) {
                return Optional.of(new Choice(gpu, profile.get(), free.getFirst()));
            }
        }
        return Optional.empty();
    }

    @Override
    public String name() {
        return "first-fit";
    }
}
