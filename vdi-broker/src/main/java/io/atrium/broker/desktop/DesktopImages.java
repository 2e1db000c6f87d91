package io.atrium.broker.desktop;

import io.atrium.broker.pool.Pool;
import io.atrium.vmm.api.MachineSpec;

import java.util.Set;

/**
 * SPI of the provisioner, implemented by the image library ({@code io.atrium.broker.image}): which image version a
 * desktop's machine starts with, and which machines besides desktops' must survive a restart. Without an
 * implementation a desktop starts its pool's image in its current version.
 */
public interface DesktopImages {

    /**
     * The image and version the desktop's machine starts with now: its pool's pinned version, its canary version,
     * or the version a running rollout moves the pool to. Called right before every start (provisioning, recovery,
     * refresh at log off), so the choice is recorded as the version the desktop runs.
     */
    MachineSpec.ImageRef imageFor(Desktop desktop, Pool pool);

    /** Names of machines that are not desktops' but must be re-adopted at start-up (draft machines). */
    default Set<String> otherMachinesToKeep() {
        return Set.of();
    }
}
