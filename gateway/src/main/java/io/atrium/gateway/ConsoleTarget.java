package io.atrium.gateway;

import java.util.Objects;

/**
 * What a redeemed console ticket grants: the console of one desktop, for one user, with what its clipboard may do.
 *
 * @param desktopId the desktop; at most one viewer per desktop is connected at a time
 * @param username the user the ticket was issued to
 * @param console where the desktop VM's VNC server is; opened through the servlet's {@link ConsoleConnector}
 * @param clipboard the clipboard policy the gateway enforces on this connection
 */
public record ConsoleTarget(String desktopId, String username, ConsoleEndpoint console, ClipboardPolicy clipboard) {

    public ConsoleTarget {
        Objects.requireNonNull(desktopId, "desktopId");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(clipboard, "clipboard");
        if (desktopId.isBlank()) {
            throw new IllegalArgumentException("desktopId must not be blank");
        }
        if (username.isBlank()) {
            throw new IllegalArgumentException("username must not be blank");
        }
    }

    /** A target without clipboard ({@link ClipboardPolicy#NONE}). */
    public ConsoleTarget(String desktopId, String username, ConsoleEndpoint console) {
        this(desktopId, username, console, ClipboardPolicy.NONE);
    }
}
