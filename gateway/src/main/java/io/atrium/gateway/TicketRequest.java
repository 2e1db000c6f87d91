package io.atrium.gateway;

import java.util.Objects;
import java.util.Optional;

/**
 * One connection attempt's claim, as the gateway saw it during the upgrade.
 *
 * @param ticket    the opaque ticket exactly as the browser sent it; never {@code null} or blank, never logged
 * @param desktopId the desktop the browser asked for ({@code desktop} query parameter), if any
 * @param user      the user the upgrade request is authenticated as (servlet user principal), if any;
 *                  a redeemer may require it to match the ticket's user, so a ticket taken from one
 *                  user's browser does not work in another's
 */
public record TicketRequest(String ticket, Optional<String> desktopId, Optional<String> user) {
    public TicketRequest {
        Objects.requireNonNull(ticket, "ticket");
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(user, "user");
    }

    @Override
    public String toString() {
        return "TicketRequest[desktop=" + desktopId.orElse("-") + ", user=" + user.orElse("-") + "]";
    }
}
