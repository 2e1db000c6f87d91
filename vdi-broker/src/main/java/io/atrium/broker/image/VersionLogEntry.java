package io.atrium.broker.image;

import java.time.Instant;

/** One line of a version's log: what a step did or why it failed (never file contents). */
public record VersionLogEntry(String versionId, long seq, Instant at, Level level, String message) {
    public enum Level { INFO, WARN, ERROR }
}
