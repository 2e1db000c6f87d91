package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineHost;
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

    /** Gives a REFRESHING desktop a clean disk and a fresh VM, then reconciles its pool. */
    private void refreshLater(Desktop d, Pool pool) {
        workers.forDesktop(d.id(), Duration.ZERO, () -> {
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
        });
    }

    private DesktopState current(Desktop d) {
        return desktops.findById(d.id()).map(Desktop::state).orElse(DesktopState.DELETED);
    }
}
