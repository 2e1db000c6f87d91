package io.atrium.vmm.api;

import java.util.Objects;
import java.util.Optional;

/**
 * Commit a draft as a version.
 *
 * @param versionId the draft (and the version it becomes)
 * @param machine   the stopped draft machine whose disk (and UEFI variables) become the version, or empty for an
 *                  uploaded draft that is kept as it was uploaded
 */
public record CommitRequest(String versionId, Optional<String> machine) {
    public CommitRequest {
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(machine, "machine");
    }
}
