package io.atrium.broker.ticket;

import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.vmm.api.ConsoleEndpoint;

import java.util.Objects;

/**
 * What a redeemed ticket grants: this user may view this desktop's console, once, with what its pool lets cross.
 *
 * @param console   where the desktop's console is served, as a value (the gateway opens it by its address's scheme)
 * @param transfers the desktop's pool's transfer policy; the gateway enforces its clipboard part
 */
public record RedeemedTicket(String desktopId, String username, ConsoleEndpoint console, TransferPolicy transfers) {
    public RedeemedTicket {
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(transfers, "transfers");
    }
}
