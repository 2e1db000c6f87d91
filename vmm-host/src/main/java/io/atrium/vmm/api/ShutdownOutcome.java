package io.atrium.vmm.api;

/** How a graceful {@link MachineHost#shutdown} ended. */
public enum ShutdownOutcome {
    /** The guest powered off after the ACPI power button. */
    GRACEFUL,
    /** The guest did not react in time; QEMU was told to quit. */
    QUIT,
    /** QEMU did not quit; it was killed. */
    KILLED,
    /** It did not run. */
    ALREADY_STOPPED
}
