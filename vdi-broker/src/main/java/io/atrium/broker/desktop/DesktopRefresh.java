package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineHost;
import io.atrium.broker.network.PoolNetworkChanged;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.CLEAR;
import static io.atrium.broker.desktop.DesktopRepository.UserChange.KEEP;

/**
 * Log off and refresh: ending a user's session on a desktop, and giving a pooled desktop a clean disk and a fresh
 * VM for the next user (REFRESHING → READY). A personal desktop is never refreshed: its disk is its user's.
 * Refreshes run on a worker holding the desktop's lease; afterwards the pool is reconciled (its target may be lower).
 */
@Component
class DesktopRefresh {
    private static final Logger log = LoggerFactory.getLogger(DesktopRefresh.class);
    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final MachineHost machines;
    private final MachineSpecs specs;
    private final ProvisionerWorkers workers;
    private final DesktopRecovery recovery;
    private final PoolReconciler reconciler;

    DesktopRefresh(DesktopRepository desktops, PoolRepository pools, MachineHost machines, MachineSpecs specs,
                   ProvisionerWorkers workers, DesktopRecovery recovery, PoolReconciler reconciler) {
        this.desktops = desktops;
        this.pools = pools;
        this.machines = machines;
        this.specs = specs;
        this.workers = workers;
        this.recovery = recovery;
        this.reconciler = reconciler;
    }

    /**
     * Ends the user's session: a personal desktop stays assigned with its disk; a pooled one is refreshed.
     *
     * @throws IllegalTransitionException if the desktop is not assigned
     */
    void logOff(Desktop d) {
        if (!desktops.transition(d.id(), DesktopState.ASSIGNED_STATES, DesktopState.LOGGING_OFF, KEEP, null)) {
            throw new IllegalTransitionException(d.name(), current(d), DesktopState.LOGGING_OFF);
        }
        Pool pool = pools.findById(d.poolId()).orElseThrow();
        if (pool.kind() == PoolKind.PERSONAL) {
            desktops.transition(d.id(), List.of(DesktopState.LOGGING_OFF), DesktopState.ASSIGNED, KEEP, null);
            return;
        }
        desktops.transition(d.id(), List.of(DesktopState.LOGGING_OFF), DesktopState.REFRESHING, CLEAR, null);
        refreshLater(d, pool);
    }

    /** Refreshes a READY pooled desktop. Personal desktops are refused (their disk), in-use ones too. */
    void adminRefresh(Desktop d) {
        Pool pool = pools.findById(d.poolId()).orElseThrow(() -> BrokerException.notFound("Pool " + d.poolId()));
        if (pool.kind() == PoolKind.PERSONAL) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Desktop " + d.name() + " is a personal desktop: "
                    + "refreshing it would discard its user's disk, so it is not allowed");
        }
        if (!desktops.transition(d.id(), List.of(DesktopState.READY), DesktopState.REFRESHING, CLEAR, null)) {
            DesktopState now = current(d);
            throw new IllegalTransitionException(now, DesktopState.REFRESHING, now.isAssigned()
                    ? "Desktop " + d.name() + " is in use (" + now + "); log its user off, which refreshes it"
                    : "Desktop " + d.name() + " cannot go from " + now + " to REFRESHING");
        }
        refreshLater(d, pool);
    }

    /**
     * A pool's network changed: its idle desktops (READY, unassigned, pooled) are refreshed so that they come back on
     * the new network; one that is still being provisioned is refreshed after that (its task holds the desktop's
     * lease, and this one waits for it). Desktops in use get the new network at their refresh (log off), personal
     * desktops at their next start.
     */
    @EventListener
    void networkChanged(PoolNetworkChanged event) {
        Pool pool = pools.findById(event.poolId()).orElse(null);
        if (pool == null || pool.kind() == PoolKind.PERSONAL || !workers.isRunning()) {
            return;
        }
        for (Desktop d : desktops.findByPool(pool.id())) {
            if (d.assignedUser() == null && (d.state() == DesktopState.READY
                    || DesktopState.NEEDS_PROVISIONING.contains(d.state()))) {
                workers.forDesktop(d.id(), Duration.ZERO, () -> {
                    Desktop now = desktops.findById(d.id()).orElse(null);
                    if (now != null && now.assignedUser() == null && desktops.transition(now.id(),
                            List.of(DesktopState.READY), DesktopState.REFRESHING, CLEAR, null)) {
                        log.info("desktop {}: refreshed for its pool's new network", now.name());
                        refreshHeld(now, pool);
                    }
                });
            }
        }
    }

    /** Gives a REFRESHING desktop a clean disk and a fresh VM, then reconciles its pool. */
    private void refreshLater(Desktop d, Pool pool) {
        workers.forDesktop(d.id(), Duration.ZERO, () -> refreshHeld(d, pool));
    }

    /** {@link #refreshLater}'s work, for a task that holds the desktop's lease. */
    private void refreshHeld(Desktop d, Pool pool) {
        try {
            machines.stop(d.name());
            machines.start(specs.of(d, pool));
            if (!desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.READY, CLEAR, null)) {
                machines.stop(d.name()); // deleted meanwhile
            }
        } catch (RuntimeException e) {
            desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.FAILED, CLEAR,
                    DesktopRecovery.truncate("Could not refresh: " + e.getMessage()));
            recovery.provisionAfter(d.id(), recovery.recoverDelay());
        }
        reconciler.reconcileLater(pool.id());
    }

    private DesktopState current(Desktop d) {
        return desktops.findById(d.id()).map(Desktop::state).orElse(DesktopState.DELETED);
    }
}
