package io.atrium.vmm.api;

import java.util.List;
import java.util.Objects;

/** What became of an import: validated and kept, or refused naming the rule it broke. */
public sealed interface ImportResult permits ImportResult.Imported, ImportResult.Refused {

    /** What was checked, for the version's log. */
    List<String> log();

    /**
     * Validated and kept: a disk as a draft (converted to a read-only qcow2), an ISO as a medium.
     *
     * @param virtualSize the disk's (or ISO's) size in bytes
     * @param sha256      of the upload as received
     */
    record Imported(String versionId, DiskFormat format, long virtualSize, String sha256, List<String> log)
            implements ImportResult {
        public Imported {
            Objects.requireNonNull(versionId, "versionId");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(sha256, "sha256");
            log = List.copyOf(log);
        }
    }

    /** Refused: the file broke {@code rule}; nothing was kept and the staging file is gone. */
    record Refused(String versionId, ValidationRule rule, String message, List<String> log) implements ImportResult {
        public Refused {
            Objects.requireNonNull(versionId, "versionId");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(message, "message");
            log = List.copyOf(log);
        }
    }
}
