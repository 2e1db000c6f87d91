package io.atrium.broker.ticket;

import java.time.Instant;

/**
 * A console ticket as handed to its user, once. Only its hash is stored.
 *
 * @param value the secret; never logged ({@link #toString()} hides it)
 */
public record ConsoleTicket(String value, String desktopId, Instant expiresAt) {
    @Override
    public String toString() {
        return "ConsoleTicket[desktop=" + desktopId + ", expiresAt=" + expiresAt + "]";
    }
}
