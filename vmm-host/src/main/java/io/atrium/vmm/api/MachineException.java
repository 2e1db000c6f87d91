package io.atrium.vmm.api;

import java.util.Objects;

/** A {@link MachineHost} call failed. The message is for logs and administrators. */
public class MachineException extends RuntimeException {

    /** What kind of failure, so a caller (or a remote transport) can map it without parsing messages. */
    public enum Kind {
        /**
         * The spec cannot be run on this host (unknown image, bad combination), or a guest request is refused as such
         * (an unknown file handle). Retrying will not help.
         */
        INVALID_SPEC,
        /** The machine does not run (for calls that need a running machine). */
        NOT_RUNNING,
        /** Starting or operating the machine failed (QEMU, disk, guest); retrying may help. */
        FAILED,
        /** The host cannot be reached or is shutting down. */
        UNAVAILABLE,
        /** The machine runs but its guest cannot be asked: its image has no guest agent, or the agent does not answer. */
        GUEST_UNAVAILABLE
    }

    private final Kind kind;

    public MachineException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public MachineException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
