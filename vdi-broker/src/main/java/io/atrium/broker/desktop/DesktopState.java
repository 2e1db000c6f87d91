package io.atrium.broker.desktop;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a desktop as an explicit state machine. {@link #canBecome(DesktopState)} is the
 * only place that says which transitions are legal: {@code DesktopRepository.transition} refuses any
 * other with an {@link IllegalTransitionException}, and applies a legal one with a conditional update,
 * so two racing callers cannot both move a desktop out of the same state. The named sets below are
 * the groups of states the broker acts on; code uses them instead of listing states.
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

    /** The desktop belongs to a user: {@code ASSIGNED}, {@code CONNECTED}, {@code DISCONNECTED}. */
    public static final Set<DesktopState> ASSIGNED_STATES = Collections.unmodifiableSet(
            EnumSet.of(ASSIGNED, CONNECTED, DISCONNECTED));

    /** Its VM runs and it is usable: {@code READY} or assigned. What is re-adopted after a restart and can be reset. */
    public static final Set<DesktopState> RUNNING = Collections.unmodifiableSet(
            EnumSet.of(READY, ASSIGNED, CONNECTED, DISCONNECTED));

    /**
     * Its VM should run (or is being replaced): {@link #RUNNING} plus {@code LOGGING_OFF} and {@code REFRESHING}.
     * A desktop in one of these whose VM is gone has failed.
     */
    public static final Set<DesktopState> MACHINE_EXPECTED = Collections.unmodifiableSet(
            EnumSet.of(READY, ASSIGNED, CONNECTED, DISCONNECTED, LOGGING_OFF, REFRESHING));

    /** The provisioner (re)starts its VM: {@code PROVISIONING} or {@code FAILED}. */
    public static final Set<DesktopState> NEEDS_PROVISIONING = Collections.unmodifiableSet(
            EnumSet.of(PROVISIONING, FAILED));

    /** An unassigned desktop in one of these may be removed when its pool is above its target size. */
    public static final Set<DesktopState> SURPLUS_REMOVABLE = Collections.unmodifiableSet(EnumSet.of(READY, FAILED));

    /** Nothing more happens to it by itself; the VM's exit is expected: {@code FAILED}, {@code STOPPED}, {@code DELETED}. */
    public static final Set<DesktopState> AT_REST = Collections.unmodifiableSet(EnumSet.of(FAILED, STOPPED, DELETED));

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

    /** States in which the desktop belongs to a user ({@link #ASSIGNED_STATES}). */
    public boolean isAssigned() {
        return ASSIGNED_STATES.contains(this);
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
