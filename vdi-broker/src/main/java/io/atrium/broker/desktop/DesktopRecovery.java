package io.atrium.broker.desktop;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.api.MachineEvent;
import io.atrium.vmm.api.MachineHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.CLEAR;
import static io.atrium.broker.desktop.DesktopRepository.UserChange.KEEP;

/**
 * Brings desktops up and back: provisions a PROVISIONING or FAILED desktop (starts its machine, then READY; a
 * personal one goes back to its owner), retries a failed start with exponential backoff, and turns a machine that
 * stopped unexpectedly into a FAILED desktop that is provisioned again.
 *
 * <p>State that must survive a restart is in the database ({@link RecoveryRepository}): the failures in a row that
 * drive the backoff, and the user whose pooled desktop was taken away by a dead VM ({@link #wasLostBy}). Every
 * provisioning runs on a worker holding the desktop's lease ({@link ProvisionerWorkers#forDesktop}).
 */
@Component
class DesktopRecovery {
    private static final Logger log = LoggerFactory.getLogger(DesktopRecovery.class);

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final MachineHost machines;
    private final MachineSpecs specs;
    private final ProvisionerWorkers workers;
    private final RecoveryRepository records;
    private final BrokerProperties props;

    DesktopRecovery(DesktopRepository desktops, PoolRepository pools, MachineHost machines, MachineSpecs specs,
                    ProvisionerWorkers workers, RecoveryRepository records, BrokerProperties props) {
        this.desktops = desktops;
        this.pools = pools;
        this.machines = machines;
        this.specs = specs;
        this.workers = workers;
        this.records = records;
        this.props = props;
    }

    /** Provisions the desktop on a worker, now, if it needs it. */
    void provisionSoon(String desktopId) {
        provisionAfter(desktopId, Duration.ZERO);
    }

    /** Provisions the desktop on a worker after {@code delay}, if it then needs it. */
    void provisionAfter(String desktopId, Duration delay) {
        workers.forDesktop(desktopId, delay, () -> provision(desktopId));
    }

    /** {@code atrium.broker.recover-delay}: the pause before a failed desktop is provisioned again. */
    Duration recoverDelay() {
        return props.recoverDelay();
    }

    /** An administrator starts the desktop afresh: the backoff starts from the beginning. */
    void forgetFailures(String desktopId) {
        records.clearFailures(desktopId);
    }

    /** Whether the desktop was taken from {@code user} because its VM died (pooled desktops). */
    boolean wasLostBy(String desktopId, String user) {
        return records.wasLostBy(desktopId, user);
    }

    /** Subscribes to the host's events: an unexpected exit is handled on the event thread. Close it to stop. */
    AutoCloseable watchMachines() {
        return machines.subscribe(event -> {
            if (event instanceof MachineEvent.Exited exited && exited.reason() == MachineEvent.ExitReason.UNEXPECTED) {
                workers.onEventThread(() -> machineExited(exited));
            }
        });
    }

    /** Runs holding the desktop's lease. */
    private void provision(String desktopId) {
        Desktop d = desktops.findById(desktopId).orElse(null);
        if (d == null || !DesktopState.NEEDS_PROVISIONING.contains(d.state())) {
            return; // deleted, stopped, or another task already brought it up
        }
        Pool pool = pools.findById(d.poolId()).orElse(null);
        if (pool == null) {
            return;
        }
        // A personal desktop stays its owner's through a failure; a pooled one goes back to the pool.
        boolean personal = pool.kind() == PoolKind.PERSONAL;
        if (d.state() == DesktopState.FAILED && !desktops.transition(d.id(), List.of(DesktopState.FAILED),
                DesktopState.PROVISIONING, personal ? KEEP : CLEAR, null)) {
            return;
        }
        try {
            machines.start(specs.of(d, pool));
            if (!desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.READY,
                    personal ? KEEP : CLEAR, null)) {
                machines.stop(d.name()); // deleted or stopped while it started
                return;
            }
            if (personal && d.assignedUser() != null) {
                // Back to its owner, with the disk it had.
                desktops.transition(d.id(), List.of(DesktopState.READY), DesktopState.ASSIGNED, KEEP, null);
            }
            records.clearFailures(desktopId);
            log.info("desktop {} is ready", d.name());
        } catch (RuntimeException e) {
            int n = records.recordFailure(desktopId);
            log.warn("desktop {} failed to start (attempt {}): {}", d.name(), n, e.getMessage());
            stopQuietly(d);
            desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.FAILED,
                    personal ? KEEP : CLEAR, truncate("Could not start: " + e.getMessage()));
            provisionAfter(desktopId, backoff(n));
        }
    }

    /**
     * The machine of a desktop stopped although nobody asked: the desktop failed (a pooled one loses its user, who is
     * told why later); it is provisioned again after {@code atrium.broker.recover-delay}. The exit of a machine that
     * has been replaced meanwhile (one of that name runs again) is ignored.
     */
    void machineExited(MachineEvent.Exited event) {
        if (machines.find(event.name()).isPresent()) {
            log.debug("machine {} exited, but a newer one of that name runs: ignored", event.name());
            return;
        }
        desktops.findByName(event.name()).ifPresent(d -> {
            if (DesktopState.AT_REST.contains(d.state())) {
                return;
            }
            log.warn("the VM of desktop {} stopped unexpectedly: {}", d.name(), event.detail());
            boolean personal = pools.findById(d.poolId()).map(p -> p.kind() == PoolKind.PERSONAL).orElse(false);
            if (d.assignedUser() != null && !personal) {
                records.recordLost(d.id(), d.assignedUser());
            }
            desktops.transition(d.id(), DesktopState.predecessorsOf(DesktopState.FAILED), DesktopState.FAILED,
                    personal ? KEEP : CLEAR, "Its virtual machine stopped unexpectedly");
            provisionAfter(d.id(), props.recoverDelay());
        });
    }

    private void stopQuietly(Desktop d) {
        try {
            machines.stop(d.name());
        } catch (RuntimeException e) {
            log.debug("desktop {}: stop after a failed start: {}", d.name(), e.getMessage());
        }
    }

    private Duration backoff(int failuresSoFar) {
        long factor = 1L << Math.min(Math.max(failuresSoFar, 1) - 1, 6);
        return props.recoverDelay().multipliedBy(factor);
    }

    static String truncate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 497) + "...";
    }
}
