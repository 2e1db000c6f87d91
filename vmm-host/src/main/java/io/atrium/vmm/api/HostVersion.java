package io.atrium.vmm.api;

import java.util.Objects;

/**
 * What a host keeps of a version.
 *
 * @param kind        a committed disk, an install medium, or a draft
 * @param guestAgent  its boot test found the QEMU guest agent (instant clones); false before a boot test
 * @param bootTested  it passed a boot test on this host
 */
public record HostVersion(String versionId, String imageName, Kind kind, Firmware firmware, int memoryMb,
                          long virtualSize, boolean guestAgent, boolean bootTested) {
    public HostVersion {
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(imageName, "imageName");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(firmware, "firmware");
    }

    /** What kind of thing the host keeps. */
    public enum Kind { DISK, MEDIUM, DRAFT }
}
