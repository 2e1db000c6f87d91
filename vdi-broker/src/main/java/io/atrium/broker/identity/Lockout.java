package io.atrium.broker.identity;

import java.time.Instant;

/**
 * Failed logins counted against one client address or one account.
 *
 * @param key         {@code addr:<address>} or {@code user:<name>}, what an administrator clears
 * @param lockedUntil until when attempts are refused; {@code null} or in the past: not locked now
 */
public record Lockout(String key, Kind kind, String subject, int failures, Instant lastFailureAt, Instant lockedUntil) {
    /** What is counted. */
    public enum Kind { ADDRESS, ACCOUNT }

    public boolean lockedAt(Instant now) {
        return lockedUntil != null && lockedUntil.isAfter(now);
    }
}
