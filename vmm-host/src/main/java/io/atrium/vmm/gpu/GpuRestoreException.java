package io.atrium.vmm.gpu;

import java.util.Map;
import java.util.stream.Collectors;

/** Persisted slices could not be restored; the pool was left unchanged. */
public class GpuRestoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Map<String, String> rejected;

    public GpuRestoreException(Map<String, String> rejected) {
        super("cannot restore GPU slices: " + rejected.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; ")));
        this.rejected = Map.copyOf(rejected);
    }

    /** Reason by slice id for every slice that conflicts with the GPUs or with an earlier slice of the list. */
    public Map<String, String> rejected() {
        return rejected;
    }
}
