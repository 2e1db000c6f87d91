package io.atrium.broker.desktop;

import java.time.Instant;

/**
 * One desktop VM of a pool.
 *
 * @param assignedUser the user it belongs to, or {@code null}
 * @param stateReason  why it is in its state, for FAILED; may be {@code null}
 */
public record Desktop(String id, String poolId, String name, DesktopState state, String assignedUser,
                      String mac, String stateReason, long version, Instant createdAt, Instant updatedAt) {
}
