package io.atrium.vmm.api;

import java.util.List;
import java.util.Objects;

/** How a boot test ended. */
public sealed interface BootTestResult permits BootTestResult.Passed, BootTestResult.Failed {

    /** What happened, for the version's log. */
    List<String> log();

    /**
     * It booted to a first real frame within the limit.
     *
     * @param guestAgent   its QEMU guest agent answered: its template was saved, clones start from it; without an
     *                     agent the version can only be cold-booted
     * @param frameAfterMs time from QEMU's start to the first real frame
     * @param rule         the readiness rule that passed, in words
     */
    record Passed(String versionId, boolean guestAgent, long frameAfterMs, String rule, List<String> log)
            implements BootTestResult {
        public Passed {
            Objects.requireNonNull(versionId, "versionId");
            Objects.requireNonNull(rule, "rule");
            log = List.copyOf(log);
        }
    }

    /** It did not (timeout, firmware screen only, crash, template not saved): {@code reason} says which. */
    record Failed(String versionId, String reason, List<String> log) implements BootTestResult {
        public Failed {
            Objects.requireNonNull(versionId, "versionId");
            Objects.requireNonNull(reason, "reason");
            log = List.copyOf(log);
        }
    }
}
