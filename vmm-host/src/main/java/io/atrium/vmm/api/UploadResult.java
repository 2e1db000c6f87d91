package io.atrium.vmm.api;

import java.util.Objects;

/** What became of a piece of an upload. */
public sealed interface UploadResult permits UploadResult.Received, UploadResult.Refused {

    /** The bytes were written; the staging file now holds {@code bytes}. */
    record Received(String uploadId, long bytes) implements UploadResult {
        public Received {
            Objects.requireNonNull(uploadId, "uploadId");
        }
    }

    /** The upload was refused (beyond the quota) and its staging file removed. */
    record Refused(String uploadId, ValidationRule rule, String message) implements UploadResult {
        public Refused {
            Objects.requireNonNull(uploadId, "uploadId");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(message, "message");
        }
    }
}
