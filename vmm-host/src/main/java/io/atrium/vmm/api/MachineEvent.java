package io.atrium.vmm.api;

import java.time.Instant;
import java.util.Objects;

/** Something that happened to a machine, reported on a {@link MachineHost#subscribe subscription}. */
public sealed interface MachineEvent permits MachineEvent.Started, MachineEvent.Ready, MachineEvent.Exited {

    /** The machine's name. */
    String name();

    /** When the host saw it. */
    Instant at();

    /** The machine runs (after {@link MachineHost#start} or {@link MachineHost#adopt}). */
    record Started(String name, Instant at, MachineInfo info) implements MachineEvent {
        public Started {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(info, "info");
        }
    }

    /**
     * The guest is up: for an instant clone right after its identity was confirmed (so together with
     * {@link Started}); for a cold boot when the image's ready marker appeared on the guest's serial console.
     */
    record Ready(String name, Instant at) implements MachineEvent {
        public Ready {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * The machine stopped.
     *
     * @param exitCode QEMU's exit code, or -1 when the host could not see it (a re-attached process)
     * @param detail   what the host knows about why (for logs and admins; not for users)
     */
    record Exited(String name, Instant at, ExitReason reason, int exitCode, String detail) implements MachineEvent {
        public Exited {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** Why a machine stopped. */
    enum ExitReason {
        /** {@link MachineHost#stop}, {@link MachineHost#shutdown} or {@link MachineHost#discard} was called. */
        STOPPED,
        /** Nobody asked: QEMU crashed, was killed, or the guest powered itself off. */
        UNEXPECTED
    }
}
