package io.atrium.broker.desktop;

import io.atrium.broker.pool.Pool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The broker's edge towards the hypervisor: starts and stops the VM behind a desktop.
 * The production implementation drives QEMU through vmm-host.
 */
public interface DesktopMachines {

    /**
     * Starts the desktop's VM and returns once it runs.
     *
     * @param freshDisk discard the desktop's disk overlay and clone a new one from the golden image
     * @param onExit    called once if the VM later stops without {@link #stop} having been called
     */
    void start(Desktop desktop, Pool pool, boolean freshDisk, Runnable onExit) throws Exception;

    /** Stops the VM (if running) without calling its exit callback. */
    void stop(String desktopId);

    /** The VNC unix socket of a running VM. */
    Optional<Path> vncSocket(String desktopId);

    boolean isRunning(String desktopId);

    /**
     * Stops every VM; used when Atrium shuts down. With {@code atrium.vmm.keep-vms-on-exit} the VMs are detached
     * instead and keep running, to be re-adopted by {@link #adoptRunning} at the next start.
     */
    void stopAll();

    /**
     * At start-up: re-attaches VMs left running by a previous Atrium process to these desktops (by desktop name)
     * and kills running VMs that belong to none of them.
     *
     * @param onExit the exit callback for a desktop id (as in {@link #start})
     * @return the ids of the desktops whose VM was adopted and runs
     */
    default java.util.Set<String> adoptRunning(java.util.Collection<Desktop> desktops,
                                               java.util.function.Function<String, Runnable> onExit) {
        return java.util.Set.of();
    }

    /**
     * Shuts the VM down gracefully (ACPI power button, up to {@code timeout}, then harder), without calling its exit
     * callback. Blocks until the VM is gone.
     */
    void shutdown(String desktopId, Duration timeout);

    /** Hard reset of a running VM (the reset button). */
    void reset(String desktopId);

    /** The VM's screen as PNG; empty when the VM does not run or cannot give one. */
    Optional<byte[]> screendump(String desktopId);

    /** Stops the VM (without its exit callback) and removes the desktop's disk and run directory. */
    void discard(Desktop desktop);
}
