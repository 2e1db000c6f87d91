package io.atrium.gateway;

import java.util.Objects;

/**
 * What a redeemed console ticket grants: the console of one desktop, for one user.
 *
 * @param desktopId the desktop; at most one viewer per desktop is connected at a time
 * @param username the user the ticket was issued to
 * @param console where the desktop VM's VNC server is; opened through the servlet's {@link ConsoleConnector}
 */
public record ConsoleTarget(String desktopId, String username, ConsoleEndpoint console) {

    public ConsoleTarget {
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(console, "console");
        if (desktopId.isBlank()) {
            throw new IllegalArgumentException("desktopId must not be blank");
        }
        if (username.isBlank()) {
            throw new IllegalArgumentException("username must not be blank");
        }
    }
}
