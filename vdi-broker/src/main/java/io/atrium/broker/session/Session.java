package io.atrium.broker.session;

import java.time.Instant;

/**
 * A user's tenure on an assigned desktop: starts when the desktop is opened (assigned), ends at log off
 * (by the user, the disconnect grace, the maximum session length, an administrator), at revocation, or when the
 * desktop is lost.
 *
 * @param poolId         the pool of the desktop; {@code null} if the desktop row is gone
 * @param connectedAt    when a viewer last connected; {@code null} if none ever did
 * @param disconnectedAt when the viewer last went away; {@code null} while connected or never connected
 * @param lastInputAt    last time the browser sent anything; {@code null} if never
 * @param endedAt        {@code null} while the session is active
 */
public record Session(String id, String desktopId, String desktopName, String poolId, String username,
                      Instant startedAt, Instant connectedAt, Instant disconnectedAt, Instant lastInputAt,
                      Instant endedAt, SessionEndReason endReason) {

    public boolean isActive() {
        return endedAt == null;
    }

    /** Whether a viewer is connected, as last recorded. */
    public boolean isConnected() {
        return isActive() && connectedAt != null && disconnectedAt == null;
    }
}
