package io.atrium.vmm.api;

import java.util.List;
import java.util.Objects;

/** What the seal step did in a draft's guest. */
public sealed interface SealResult permits SealResult.Sealed, SealResult.NoAgent, SealResult.Failed {

    /** What happened, for the version's log. */
    List<String> log();

    /** Sealed: machine-id, SSH host keys, cloud-init state and DHCP leases cleared, file system synced. */
    record Sealed(List<String> log) implements SealResult {
        public Sealed {
            log = List.copyOf(log);
        }
    }

    /** No QEMU guest agent answers in the guest: nothing was changed. */
    record NoAgent(String message, List<String> log) implements SealResult {
        public NoAgent {
            Objects.requireNonNull(message, "message");
            log = List.copyOf(log);
        }
    }

    /** The seal script failed in the guest (its exit status and error output are in the log). */
    record Failed(String message, List<String> log) implements SealResult {
        public Failed {
            Objects.requireNonNull(message, "message");
            log = List.copyOf(log);
        }
    }
}
