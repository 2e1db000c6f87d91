package io.atrium.broker.desktop;

import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.util.Collection;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.CLEAR;

/**
 * Creating and removing desktops, shared by the pool reconciler and the power actions. Invariant: a desktop row and
 * its GPU slice come and go in one transaction (a rolled-back reservation goes back to the GPU accounting), so the
 * database never holds a live desktop of a GPU pool without its slice nor a slice of a deleted desktop.
 */
@Component
class DesktopRows {
    private static final Logger log = LoggerFactory.getLogger(DesktopRows.class);

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final GpuService gpus;
    private final MachineHost machines;
    private final ProvisionerWorkers workers;
    private final TransactionTemplate tx;

    DesktopRows(DesktopRepository desktops, PoolRepository pools, GpuService gpus, MachineHost machines,
                ProvisionerWorkers workers, PlatformTransactionManager transactions) {
        this.desktops = desktops;
        this.pools = pools;
        this.gpus = gpus;
        this.machines = machines;
        this.workers = workers;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Inserts a new (PROVISIONING) desktop and reserves its GPU slice (pools with a GPU profile) in one transaction.
     *
     * @throws org.springframework.dao.DuplicateKeyException if a concurrent reconcile made that desktop
     * @throws RuntimeException                              when no GPU can take the pool's profile (the row is not made)
     */
    void create(Desktop desktop) {
        tx.executeWithoutResult(status -> {
            desktops.insert(desktop);
            gpus.reserveFor(desktop.id(), desktop.poolId());
        });
    }

    /** Moves the desktop to DELETED (if it is in one of {@code from}) and releases its GPU slice, in one transaction. */
    boolean markDeleted(Desktop d, Collection<DesktopState> from, String reason) {
        Boolean done = tx.execute(s -> {
            if (!desktops.transition(d.id(), from, DesktopState.DELETED, CLEAR, reason)) {
                return false;
            }
            gpus.releaseFor(d.id());
            return true;
        });
        return Boolean.TRUE.equals(done);
    }

    /** Removes the pool and its (all DELETED) desktop rows, in one transaction. */
    void removePool(String poolId) {
        tx.executeWithoutResult(s -> {
            desktops.deleteRowsOfPool(poolId);
            pools.delete(poolId);
        });
    }

    /**
     * Stops the desktop's machine and removes its disk and files on the host: here if no other task of the desktop
     * runs (a start finishing), otherwise on a worker right after it, so that calls for one machine never overlap.
     */
    void discard(Desktop d) {
        if (!workers.tryForDesktop(d.id(), () -> discardMachine(d))) {
            discardLater(d);
        }
    }

    /** {@link #discard} on the provisioner's threads, holding the desktop's lease. */
    void discardLater(Desktop d) {
        workers.forDesktop(d.id(), Duration.ZERO, () -> discardMachine(d));
    }

    private void discardMachine(Desktop d) {
        try {
            machines.discard(d.name());
        } catch (RuntimeException e) {
            log.warn("desktop {}: could not discard its machine: {}", d.name(), e.getMessage());
        }
    }
}
