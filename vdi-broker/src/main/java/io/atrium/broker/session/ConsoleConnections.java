package io.atrium.broker.session;

/**
 * The broker's view of live console (viewer) connections, implemented by the application over the gateway
 * (the broker does not depend on the gateway module). Without an implementation, no desktop counts as connected.
 *
 * <p>Only {@link SessionService} closes viewers, and it decides the {@link CloseReason} for every path (user log
 * off, administrator disconnect and log off, idle timeout, disconnect grace, maximum session length, revocation).
 * The implementation maps each reason to the close code the viewer receives, in one place; a viewer taken over by
 * another window is closed by the gateway itself.
 */
public interface ConsoleConnections {

    /** Why the broker closes a viewer. */
    enum CloseReason {
        /** No input for the pool's idle timeout; the desktop stays the user's. */
        IDLE,
        /** An administrator forced a disconnect or a log off. */
        ADMIN,
        /** The session ended (user log off, maximum session length, disconnect grace). */
        SESSION_ENDED,
        /** The user's access to the desktop was withdrawn (e.g. their entitlement to its pool was removed). */
        REVOKED,
        /** The user logged out of Atrium; the desktop stays theirs. */
        LOGGED_OUT
    }

    /** Whether a viewer of the desktop is connected. */
    boolean isConnected(String desktopId);

    /** Bytes the desktop's live viewer has sent so far (grows with input); -1 if none is connected. */
    long bytesFromBrowser(String desktopId);

    /** Closes the desktop's viewer, if any, telling it why; true if one was closed. */
    boolean disconnect(String desktopId, CloseReason why);

    ConsoleConnections NONE = new ConsoleConnections() {
        @Override
        public boolean isConnected(String desktopId) {
            return false;
        }

        @Override
        public long bytesFromBrowser(String desktopId) {
            return -1;
        }

        @Override
        public boolean disconnect(String desktopId, CloseReason why) {
            return false;
        }
    };
}
