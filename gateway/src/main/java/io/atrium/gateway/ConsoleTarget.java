package io.atrium.gateway;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a redeemed console ticket grants: the console of one desktop, for one user.
 *
 * @param desktopId the desktop; at most one viewer per desktop is connected at a time
 * @param username the user the ticket was issued to
 * @param vncSocket the unix domain socket of the desktop VM's VNC server
 */
public record ConsoleTarget(String desktopId, String username, Path vncSocket) {

    public ConsoleTarget {
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(vncSocket, "vncSocket");
        if (desktopId.isBlank()) {
            throw new IllegalArgumentException("desktopId must not be blank");
        }
        if (username.isBlank()) {
            throw new IllegalArgumentException("username must not be blank");
        }
    }
}
