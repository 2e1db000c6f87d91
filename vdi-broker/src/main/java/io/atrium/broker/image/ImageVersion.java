package io.atrium.broker.image;

import io.atrium.vmm.api.DiskFormat;
import io.atrium.vmm.api.Firmware;
import java.time.Instant;
import java.util.Optional;

/**
 * One version of an image. Its content never changes once {@link VersionState#SEALED}.
 *
 * @param id            what the host knows it by (a built-in recipe's hash, or the broker's id)
 * @param number        1, 2, 3 … within its image
 * @param source        how it was made
 * @param kind          a bootable disk, or an install medium (an ISO)
 * @param format        the format an upload was claimed to be (empty otherwise)
 * @param parentId      EDIT: the version it is a clone of; INSTALL: the medium it is installed from
 * @param uploadBytes   the size the uploader announced (empty when unknown)
 * @param receivedBytes how much of the upload arrived so far
 * @param guestAgent    its boot test found the QEMU guest agent (instant clones); empty before a boot test. A
 *                      version without one can only be cold-booted
 * @param machine       the draft machine while the version is being made
 * @param autoSeal      after validation, seal and boot-test it without waiting for the administrator
 * @param stateReason   why it is in its state (FAILED)
 */
public record ImageVersion(String id, String imageId, String imageName, int number, VersionState state, Source source,
                           Kind kind, Optional<DiskFormat> format, Firmware firmware, int memoryMb,
                           Optional<String> parentId, Optional<String> uploadId, Optional<Long> uploadBytes,
                           long receivedBytes, Optional<String> sha256, Optional<Long> virtualSize,
                           Optional<Boolean> guestAgent, Optional<String> machine, boolean autoSeal,
                           String stateReason, String createdBy, Instant createdAt, Instant updatedAt) {

    public enum Source { BUILTIN, UPLOAD, INSTALL, EDIT }

    public enum Kind { DISK, MEDIUM }

    /** {@code debian v3}. */
    public String label() {
        return imageName + " v" + number;
    }

    /** Whether its machines can only be cold-booted (no agent to give an instant clone its identity). */
    public boolean coldBootOnly() {
        return source != Source.BUILTIN && guestAgent.isPresent() && !guestAgent.get();
    }
}
