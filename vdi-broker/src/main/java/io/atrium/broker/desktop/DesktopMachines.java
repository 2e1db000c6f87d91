package io.atrium.broker.desktop;

import io.atrium.broker.pool.Pool;

import java.nio.file.Path;
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

    /** Stops every VM; used when Atrium shuts down. */
    void stopAll();
}
