package io.atrium.vmm.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Boot-test a version.
 *
 * @param versionId the committed version
 * @param vcpus     the shape of the template to save (a pool's shape gets its own template on first use)
 * @param memoryMb  its memory (at least the version's)
 * @param timeout   how long it may take to its first real frame
 */
public record BootTestRequest(String versionId, int vcpus, int memoryMb, Duration timeout) {
    public BootTestRequest {
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(timeout, "timeout");
        if (vcpus < 1 || memoryMb < 64 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("bad boot test request");
        }
    }
}
