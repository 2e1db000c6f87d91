package io.atrium.vmm.api;

import java.util.Objects;
import java.util.Optional;

/**
 * Make a draft version: either a linked clone of a version (to edit it), or a blank disk with an install medium.
 *
 * @param versionId    the draft's id (the next version once committed)
 * @param imageName    the library image it belongs to
 * @param base         the version it is a linked clone of (edit), or empty
 * @param medium       the ISO version attached as a CD (install), or empty
 * @param diskBytes    the blank disk's virtual size (install only)
 * @param firmware     what it boots under
 * @param memoryMb     the least memory its machines get
 */
public record DraftRequest(String versionId, String imageName, Optional<String> base, Optional<String> medium,
                           long diskBytes, Firmware firmware, int memoryMb) {
    public DraftRequest {
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(imageName, "imageName");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(medium, "medium");
        Objects.requireNonNull(firmware, "firmware");
        if (base.isPresent() == medium.isPresent()) {
            throw new IllegalArgumentException("a draft is either a clone of a version or a blank disk with a medium");
        }
        if (medium.isPresent() && diskBytes < (64L << 20)) {
            throw new IllegalArgumentException("a blank disk needs at least 64 MiB, got " + diskBytes);
        }
        if (memoryMb < 64) {
            throw new IllegalArgumentException("memoryMb must be at least 64: " + memoryMb);
        }
    }
}
