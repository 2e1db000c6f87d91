package io.atrium.broker.desktop;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a desktop as an explicit state machine. {@link #canBecome(DesktopState)} is the
 * only place that says which transitions are legal; the repository applies a transition with a
 * conditional update, so two racing callers cannot both move a desktop out of the same state.
 */
public enum DesktopState {
    /** Disk being cloned and VM starting. */
    PROVISIONING,
    /** VM running, no user. */
    READY,
    /** Given to a user; nobody is viewing it. */
    ASSIGNED,
    /** A viewer is connected. */
    CONNECTED,
    /** The viewer went away; the user still owns the desktop. */
    DISCONNECTED,
    /** The user's session is ending. */
    LOGGING_OFF,
    /** Returning to a clean state for the next user. */
    REFRESHING,
    /** The VM died or could not start. */
    FAILED,
    /** An administrator shut the VM down; it stays down until started again. */
    STOPPED,
    /** Gone for good. */
    DELETED;

    private Set<DesktopState> next() {
        return switch (this) {
            case PROVISIONING -> EnumSet.of(READY, FAILED, DELETED);
            case READY -> EnumSet.of(ASSIGNED, REFRESHING, FAILED, STOPPED, DELETED);
            case ASSIGNED -> EnumSet.of(CONNECTED, LOGGING_OFF, FAILED, DELETED);
            case CONNECTED -> EnumSet.of(DISCONNECTED, LOGGING_OFF, FAILED, DELETED);
            case DISCONNECTED -> EnumSet.of(CONNECTED, LOGGING_OFF, FAILED, DELETED);
            case LOGGING_OFF -> EnumSet.of(REFRESHING, ASSIGNED, FAILED, DELETED);
            case REFRESHING -> EnumSet.of(READY, FAILED, DELETED);
            case FAILED -> EnumSet.of(PROVISIONING, STOPPED, DELETED);
            case STOPPED -> EnumSet.of(PROVISIONING, DELETED);
            case DELETED -> EnumSet.noneOf(DesktopState.class);
        };
    }

    public boolean canBecome(DesktopState to) {
        return next().contains(to);
    }

    /** States in which the desktop belongs to a user. */
    public boolean isAssigned() {
        return this == ASSIGNED || this == CONNECTED || this == DISCONNECTED;
    }

    /** All states from which {@code to} may be reached. */
    public static Set<DesktopState> predecessorsOf(DesktopState to) {
        Set<DesktopState> from = EnumSet.noneOf(DesktopState.class);
        for (DesktopState s : values()) {
            if (s.canBecome(to)) {
                from.add(s);
            }
        }
        return from;
    }
}
