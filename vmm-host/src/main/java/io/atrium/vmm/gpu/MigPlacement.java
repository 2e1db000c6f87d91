package io.atrium.vmm.gpu;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Allowed placements of a MIG GPU-instance profile as printed by {@code nvidia-smi mig -lgipp}:
 * {@code {0,2,4}:2} means an instance may start at memory slice 0, 2 or 4 and occupies 2 memory slices.
 *
 * @param starts allowed first memory slices, ascending, without duplicates
 * @param size   memory slices one instance occupies
 */
public record MigPlacement(List<Integer> starts, int size) {

    public MigPlacement {
        if (size <= 0) {
            throw new IllegalArgumentException("placement size must be positive: " + size);
        }
        starts = starts.stream().sorted().distinct().toList();
        if (starts.isEmpty()) {
            throw new IllegalArgumentException("placement needs at least one start");
        }
        if (starts.getFirst() < 0) {
            throw new IllegalArgumentException("negative placement start: " + starts);
        }
    }

    /** One past the last memory slice any placement of this profile touches. */
    public int end() {
        return starts.getLast() + size;
    }

    /** Same notation as nvidia-smi: {@code {0,2,4}:2}. */
    @Override
    public String toString() {
        return starts.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}")) + ":" + size;
    }
}
