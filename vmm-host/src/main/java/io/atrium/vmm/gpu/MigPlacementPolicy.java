package io.atrium.vmm.gpu;

import java.util.List;
import java.util.Optional;

/** Chooses the GPU and start at which a MIG instance is placed. Implementations are stateless. */
public interface MigPlacementPolicy {

    /** A possible placement: {@code profile} (of {@code gpu}) at memory slice {@code start}. */
    record Choice(MigAllocator gpu, MigProfile profile, int start) {
    }

    /**
     * Picks where to place one instance of the profile named {@code profileName}, among GPUs in MIG mode, or
     * empty when it fits nowhere. GPUs without a profile of that name are skipped.
     */
    Optional<Choice> choose(String profileName, List<MigAllocator> gpus);

    /** Short name for logs and reports. */
    String name();
}
