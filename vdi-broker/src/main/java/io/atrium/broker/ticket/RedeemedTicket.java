package io.atrium.broker.ticket;

import io.atrium.vmm.api.ConsoleEndpoint;

/**
 * What a redeemed ticket grants: this user may view this desktop, once, at this console endpoint (where its
 * machine's screen is served).
 */
public record RedeemedTicket(String desktopId, String username, ConsoleEndpoint console) {
}
