package io.atrium.vmm.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A machine that runs on a host.
 *
 * @param name      its name (the desktop's name)
 * @param hostId    the host it runs on
 * @param pid       its QEMU process id on that host (for logs and admins)
 * @param boot      how it came up
 * @param console   where its screen is served
 * @param startedAt when it was started (or re-attached)
 */
public record MachineInfo(String name, String hostId, long pid, BootKind boot, ConsoleEndpoint console,
                          Instant startedAt) {

    public MachineInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(startedAt, "startedAt");
    }

    /** How a running machine came up. */
    public enum BootKind {
        /** Restored from a saved running template, then given its own identity. */
        INSTANT_CLONE,
        /** Booted from its disk. */
        COLD_BOOT,
        /** Left running by a previous process and re-attached. */
        ADOPTED
    }
}
