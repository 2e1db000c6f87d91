package io.atrium.broker.ticket;

import io.atrium.vmm.api.ConsoleEndpoint;

import java.util.Objects;

/**
 * What a redeemed ticket grants: this user may view this desktop's console, once.
 *
 * @param console where the desktop's console is served, as a value (the gateway opens it by its address's scheme)
 */
public record RedeemedTicket(String desktopId, String username, ConsoleEndpoint console) {
    public RedeemedTicket {
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(console, "console");
    }
}
