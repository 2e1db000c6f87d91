package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.pool.Pool;
import io.atrium.vmm.api.MachineException;
import io.atrium.vmm.api.MachineHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.KEEP;

/**
 * What administrators do to desktops' machines (checked by the callers): start, shut down, reset and delete a
 * desktop, and delete a pool with all its desktops. Each checks the state first and refuses with an
 * {@link IllegalTransitionException} what the state table does not allow; VM work runs on the provisioner's threads
 * where it may take long (shutdown), so calls return at once. Refresh and log off are {@link DesktopRefresh}'s.
 */
@Component
class PowerActions {
    private static final Logger log = LoggerFactory.getLogger(PowerActions.class);
    /** How long a shutdown waits for another task of the desktop (a start finishing) before it is refused. */
    private static final Duration BUSY_WAIT = Duration.ofSeconds(10);

    private final DesktopRepository desktops;
    private final MachineHost machines;
    private final ProvisionerWorkers workers;
    private final DesktopRecovery recovery;
    private final PoolReconciler reconciler;
    private final DesktopRows rows;
    private final Leases leases;

    PowerActions(DesktopRepository desktops, MachineHost machines, ProvisionerWorkers workers, DesktopRecovery recovery,
                 PoolReconciler reconciler, DesktopRows rows, Leases leases) {
        this.desktops = desktops;
        this.machines = machines;
        this.workers = workers;
        this.recovery = recovery;
        this.reconciler = reconciler;
        this.rows = rows;
        this.leases = leases;
    }

    /** Starts a STOPPED (or FAILED) desktop's VM again. */
    void start(Desktop d) {
        // If its shutdown is still finishing, the provisioning waits for the desktop's lease.
        if (!desktops.transition(d.id(), DesktopState.predecessorsOf(DesktopState.PROVISIONING),
                DesktopState.PROVISIONING, KEEP, null)) {
            throw new IllegalTransitionException(d.name(), current(d), DesktopState.PROVISIONING);
        }
        recovery.forgetFailures(d.id());
        recovery.provisionSoon(d.id());
    }

    /** Shuts a READY (or FAILED) desktop's VM down gracefully; it stays STOPPED until started. */
    void shutdown(Desktop d, Duration timeout) {
        if (!current(d).canBecome(DesktopState.STOPPED)) {
            throw cannotStop(d); // at once, without waiting for the desktop's lease
        }
        // The lease first, so that no start of this desktop can slip in before the shutdown runs.
        Leases.Lease lease = workers.holdDesktop(d.id(), BUSY_WAIT, "Desktop " + d.name());
        boolean stopped;
        try {
            stopped = desktops.transition(d.id(), DesktopState.predecessorsOf(DesktopState.STOPPED),
                    DesktopState.STOPPED, KEEP, "Shut down by an administrator");
        } catch (RuntimeException e) {
            workers.release(lease);
            throw e;
        }
        if (!stopped) {
            workers.release(lease);
            throw cannotStop(d);
        }
        workers.runHolding(lease, () -> {
            try {
                machines.shutdown(d.name(), timeout);
            } catch (MachineException e) {
                log.warn("desktop {}: shutdown: {}", d.name(), e.getMessage());
                machines.stop(d.name());
            }
        });
    }

    /** Hard reset of a running desktop's VM; its state does not change. */
    void reset(Desktop d) {
        if (!DesktopState.RUNNING.contains(d.state()) || machines.find(d.name()).isEmpty()) {
            throw notResettable(d);
        }
        try {
            machines.reset(d.name());
        } catch (MachineException e) {
            if (e.kind() == MachineException.Kind.NOT_RUNNING) {
                throw notResettable(d);
            }
            throw e;
        }
    }

    /** Deletes one desktop: row DELETED (GPU slice released with it), VM stopped, disk removed; then reconciles. */
    void delete(Desktop d, boolean force) {
        if (d.assignedUser() != null && !force) {
            throw new IllegalTransitionException(d.state(), DesktopState.DELETED, "Desktop " + d.name()
                    + " is assigned to " + d.assignedUser() + "; log them off first or delete with force");
        }
        if (!rows.markDeleted(d, DesktopState.predecessorsOf(DesktopState.DELETED), "Deleted by an administrator")) {
            throw new IllegalTransitionException(d.name(), current(d), DesktopState.DELETED);
        }
        rows.discard(d);
        reconciler.reconcileLater(d.poolId());
    }

    /**
     * Deletes all desktops of a pool (VMs stopped, disks removed, personal ones too), then the pool itself, holding
     * the pool's lease (so no reconcile of it runs meanwhile).
     *
     * @throws BrokerException ILLEGAL_STATE while desktops are assigned and {@code force} is false, or while the pool
     *                         stays busy
     */
    void deletePool(Pool pool, boolean force) {
        List<Desktop> deleted = workers.withPool(pool.id(), BUSY_WAIT, "Pool " + pool.name(), () -> {
            List<Desktop> live = desktops.findByPool(pool.id());
            List<String> users = live.stream().map(Desktop::assignedUser).filter(Objects::nonNull).sorted().toList();
            if (!users.isEmpty() && !force) {
                throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Pool " + pool.name() + " has " + users.size()
                        + " desktop(s) assigned to users (" + String.join(", ", users)
                        + "); log them off first or delete with force");
            }
            for (Desktop d : live) {
                rows.markDeleted(d, DesktopState.predecessorsOf(DesktopState.DELETED), "Its pool was deleted");
            }
            live.forEach(rows::discard);
            rows.removePool(pool.id());
            return live;
        });
        List<String> gone = new ArrayList<>(deleted.stream().map(d -> Leases.desktop(d.id())).toList());
        gone.add(Leases.pool(pool.id()));
        leases.forget(gone);
        log.info("pool {} deleted with {} desktop(s)", pool.name(), deleted.size());
    }

    private IllegalTransitionException cannotStop(Desktop d) {
        DesktopState now = current(d);
        return new IllegalTransitionException(now, DesktopState.STOPPED, now.isAssigned()
                ? "Desktop " + d.name() + " is in use (" + now + "); log its user off before shutting it down"
                : "Desktop " + d.name() + " cannot go from " + now + " to STOPPED");
    }

    private IllegalTransitionException notResettable(Desktop d) {
        return new IllegalTransitionException(d.state(), d.state(),
                "Desktop " + d.name() + " cannot be reset while " + d.state() + ": its virtual machine does not run");
    }

    private DesktopState current(Desktop d) {
        return desktops.findById(d.id()).map(Desktop::state).orElse(DesktopState.DELETED);
    }
}
