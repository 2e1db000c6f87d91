package io.atrium.broker.desktop;

/**
 * Something a user (or their viewer) did with a desktop, published synchronously by {@link DesktopService}
 * for the session bookkeeping ({@code io.atrium.broker.session}).
 *
 * @param username the desktop's user; {@code null} for viewer events, which carry only the desktop
 */
public record DesktopUserEvent(Kind kind, String desktopId, String username) {

    public enum Kind {
        /** The user opened the desktop (newly assigned or already theirs). */
        OPENED,
        VIEWER_CONNECTED,
        VIEWER_DISCONNECTED,
        /** The user's session on the desktop ended through {@link DesktopService#logOff} or {@link DesktopService#endSession}. */
        LOGGED_OFF
    }
}
