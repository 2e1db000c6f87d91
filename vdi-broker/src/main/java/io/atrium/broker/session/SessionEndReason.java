package io.atrium.broker.session;

/** Why a session ended. */
public enum SessionEndReason {
    /** The user logged off. */
    USER_LOGOFF,
    /** The viewer stayed away longer than the pool's disconnect grace. */
    DISCONNECT_GRACE,
    /** The session reached the pool's maximum session length. */
    MAX_SESSION_LENGTH,
    /** An administrator logged the user off. */
    ADMIN_LOGOFF,
    /** The user's access to the desktop was withdrawn (e.g. their entitlement to its pool was removed). */
    ACCESS_REVOKED,
    /** The desktop is no longer the user's: its VM failed, or it was deleted or refreshed. */
    DESKTOP_LOST
}
