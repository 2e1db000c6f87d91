package io.atrium.vmm.api;

import java.util.Objects;

/**
 * Import a staged upload as a version.
 *
 * @param uploadId  the staging file
 * @param versionId the new version's id (a draft for a disk, a medium for an ISO)
 * @param imageName the library image it belongs to
 * @param format    what the administrator said the file is (never probed)
 * @param firmware  what the disk boots under (ignored for an ISO)
 * @param memoryMb  the least memory its machines get
 */
public record ImportRequest(String uploadId, String versionId, String imageName, DiskFormat format, Firmware firmware,
                            int memoryMb) {
    public ImportRequest {
        Objects.requireNonNull(uploadId, "uploadId");
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(imageName, "imageName");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(firmware, "firmware");
        if (memoryMb < 64) {
            throw new IllegalArgumentException("memoryMb must be at least 64: " + memoryMb);
        }
    }
}
