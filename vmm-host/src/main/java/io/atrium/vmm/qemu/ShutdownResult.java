package io.atrium.vmm.qemu;

/** How {@link QemuVm#shutdown(java.time.Duration)} ended the VM. */
public enum ShutdownResult {
    /** QEMU was not running any more when shutdown was requested. */
    ALREADY_STOPPED,
    /** The guest powered off by itself after the ACPI power button ({@code system_powerdown}). */
    GRACEFUL,
    /** The guest ignored the power button within the timeout; QEMU was told to {@code quit}. */
    QUIT,
    /** QEMU did not react to QMP either and was killed with SIGKILL. */
    KILLED
}
