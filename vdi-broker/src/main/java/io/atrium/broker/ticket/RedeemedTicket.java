package io.atrium.broker.ticket;

import java.nio.file.Path;

/** What a redeemed ticket grants: this user may view this desktop through this VNC socket, once. */
public record RedeemedTicket(String desktopId, String username, Path vncSocket) {
}
