package io.atrium.vmm.api;

import java.util.List;
import java.util.Objects;

/** What became of a commit. */
public sealed interface CommitResult permits CommitResult.Committed, CommitResult.Refused {

    /** What was done and checked, for the version's log. */
    List<String> log();

    /** The version is kept, read-only. */
    record Committed(String versionId, long virtualSize, List<String> log) implements CommitResult {
        public Committed {
            Objects.requireNonNull(versionId, "versionId");
            log = List.copyOf(log);
        }
    }

    /** The flattened disk broke a validation rule (or the draft's disk is missing); nothing was kept. */
    record Refused(String versionId, ValidationRule rule, String message, List<String> log) implements CommitResult {
        public Refused {
            Objects.requireNonNull(versionId, "versionId");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(message, "message");
            log = List.copyOf(log);
        }
    }
}
