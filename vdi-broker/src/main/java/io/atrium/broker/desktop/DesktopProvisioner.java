package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerProperties;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.gpu.GpuCapacityChanged;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolChanged;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.atrium.broker.desktop.DesktopRepository.UserChange.CLEAR;
import static io.atrium.broker.desktop.DesktopRepository.UserChange.KEEP;

/**
 * Keeps every pool at its size with running desktops: creates desktop rows, starts their VMs,
 * marks a desktop FAILED when its VM dies and provisions it again, and refreshes a pooled
 * desktop when its user logs off.
 *
 * <p>Threads: all VM work runs on one scheduled executor ("desktop-provisioner"); callers never
 * block on a VM start. At most one task per desktop is in flight ({@link #busy}).
 */
@Component
class DesktopProvisioner implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DesktopProvisioner.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final DesktopMachines machines;
    private final BrokerProperties props;
    private final Clock clock;
    private final GpuService gpus;
    private final TransactionTemplate tx;
    private final ConcurrentHashMap<String, Boolean> busy = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
    /** Pooled desktops whose VM died under a user: desktop id → that user, so they can be told why. */
    private final ConcurrentHashMap<String, String> lost = new ConcurrentHashMap<>();
    /** One reconcile (or pool deletion) at a time per pool. */
    private final ConcurrentHashMap<String, Object> poolLocks = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService executor;

    DesktopProvisioner(DesktopRepository desktops, PoolRepository pools, DesktopMachines machines,
                       BrokerProperties props, Clock clock, GpuService gpus, PlatformTransactionManager transactions) {
        this.desktops = desktops;
        this.pools = pools;
        this.machines = machines;
        this.props = props;
        this.clock = clock;
        this.gpus = gpus;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Re-attaches VMs a previous Atrium process left running ({@code atrium.vmm.keep-vms-on-exit}) to desktops that
     * were running (READY or assigned): they keep their state and user; a desktop that had a viewer is DISCONNECTED
     * now (no viewer survives a restart), so its disconnect grace starts. VMs of other desktops are killed.
     */
    private void adoptRunningVms() {
        List<Desktop> running = desktops.findAllLive().stream()
                .filter(d -> d.state() == DesktopState.READY || d.state().isAssigned()).toList();
        Set<String> adopted = machines.adoptRunning(running, id -> () -> vmExited(id));
        for (Desktop d : running) {
            if (adopted.contains(d.id()) && d.state() == DesktopState.CONNECTED) {
                desktops.transition(d.id(), List.of(DesktopState.CONNECTED), DesktopState.DISCONNECTED, KEEP, null);
            }
        }
        if (!adopted.isEmpty()) {
            log.info("re-adopted {} running desktop VM(s)", adopted.size());
        }
    }

    @Override
    public void start() {
        executor = Executors.newScheduledThreadPool(2, Thread.ofPlatform().name("desktop-provisioner-", 0)
                .daemon(true).factory());
        adoptRunningVms();
        for (Desktop d : desktops.findAllLive()) {
            if (!machines.isRunning(d.id()) && d.state() != DesktopState.FAILED && d.state() != DesktopState.PROVISIONING
                    && d.state() != DesktopState.STOPPED) {
                desktops.transition(d.id(), List.of(d.state()), DesktopState.FAILED, CLEAR,
                        "Its virtual machine was not running when Atrium started");
            }
        }
        pools.findAll().forEach(this::reconcile);
    }

    /**
     * Creates missing desktops of a pool and (re)provisions those that are not running. A desktop row and its GPU
     * slice (pools with a GPU profile) are created in one transaction; when no slice is free the desktop is not
     * created and the reason is recorded for the pool.
     */
    void reconcile(Pool stale) {
        synchronized (poolLocks.computeIfAbsent(stale.id(), k -> new Object())) {
            Pool pool = pools.findById(stale.id()).orElse(null);
            if (pool != null) {
                reconcileLocked(pool);
            }
        }
    }

    /**
     * Keeps {@code pool.targetSize(assigned)} desktops: creates missing ones, and removes surplus unassigned READY
     * (or FAILED) ones above the target (VM and disk deleted, GPU slice released with the row's change to DELETED).
     */
    private void reconcileLocked(Pool pool) {
        List<Desktop> live = desktops.findByPool(pool.id());
        int assigned = (int) live.stream().filter(d -> d.assignedUser() != null).count();
        int target = pool.targetSize(assigned);
        Set<String> names = new HashSet<>(desktops.namesOfPool(pool.id()));
        int n = 1;
        for (int i = live.size(); i < target; i++) {
            while (names.contains(pool.name() + "-" + n)) {
                n++;
            }
            String name = pool.name() + "-" + n;
            names.add(name);
            Instant now = clock.instant();
            Desktop desktop = new Desktop(UUID.randomUUID().toString(), pool.id(), name, DesktopState.PROVISIONING,
                    null, randomMac(), null, 0, now, now);
            try {
                tx.executeWithoutResult(status -> {
                    desktops.insert(desktop);
                    gpus.reserveFor(desktop.id(), pool.id());
                });
            } catch (DuplicateKeyException raced) {
                break; // a concurrent reconcile of this pool created that desktop
            } catch (RuntimeException e) {
                log.warn("pool {}: desktop {} not created: {}", pool.name(), name, e.getMessage());
                gpus.recordShortfall(pool.id(), e.getMessage());
                break;
            }
            if (i == target - 1) {
                gpus.recordShortfall(pool.id(), null);
            }
        }
        int surplus = live.size() - target;
        List<Desktop> removable = new ArrayList<>(live.stream().filter(d -> d.assignedUser() == null
                && (d.state() == DesktopState.READY || d.state() == DesktopState.FAILED)).toList());
        removable.sort(Comparator.comparing((Desktop d) -> d.state() != DesktopState.FAILED)
                .thenComparing(Desktop::createdAt, Comparator.reverseOrder()));
        for (Desktop d : removable) {
            if (surplus <= 0) {
                break;
            }
            if (markDeleted(d, List.of(d.state()), "Removed: pool " + pool.name() + " is above its target size")) {
                surplus--;
                log.info("pool {}: removed surplus desktop {} (target {})", pool.name(), d.name(), target);
                discardLater(d);
            }
        }
        for (Desktop d : desktops.findByPool(pool.id())) {
            if (d.state() == DesktopState.PROVISIONING || d.state() == DesktopState.FAILED) {
                submit(d.id(), Duration.ZERO);
            }
        }
    }

    /** A pool got a GPU profile or a GPU changed mode: desktops that did not fit before may fit now. */
    @EventListener
    void gpuCapacityChanged(GpuCapacityChanged event) {
        if (!isRunning()) {
            return;
        }
        (event.poolId() == null ? pools.findAll() : pools.findById(event.poolId()).stream().toList())
                .forEach(this::reconcile);
    }

    /** A pool was created or changed: bring it to its target size. */
    @EventListener
    void poolChanged(PoolChanged event) {
        if (isRunning()) {
            pools.findById(event.poolId()).ifPresent(this::reconcile);
        }
    }

    /** A user opened a desktop: one more may be in use, so warm spares may be due. */
    @EventListener
    void desktopOpened(DesktopUserEvent event) {
        if (event.kind() == DesktopUserEvent.Kind.OPENED) {
            desktops.findById(event.desktopId()).ifPresent(d -> reconcileLater(d.poolId()));
        }
    }

    /** Reconciles the pool on the provisioner's threads (after an assignment changed its target size). */
    void reconcileLater(String poolId) {
        ScheduledExecutorService ex = executor;
        if (ex != null && !ex.isShutdown()) {
            ex.execute(() -> pools.findById(poolId).ifPresent(this::reconcile));
        }
    }

    private void submit(String desktopId, Duration delay) {
        ScheduledExecutorService ex = executor;
        if (ex == null || ex.isShutdown()) {
            return;
        }
        ex.schedule(() -> provision(desktopId), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void provision(String desktopId) {
        if (busy.putIfAbsent(desktopId, Boolean.TRUE) != null) {
            // Another task (a start, or a shutdown still finishing) holds this desktop: try again
            // shortly; if that task already brought it up, the state check below ends this one.
            submit(desktopId, Duration.ofMillis(500));
            return;
        }
        try {
            Desktop d = desktops.findById(desktopId).orElse(null);
            if (d == null || d.state() == DesktopState.DELETED) {
                return;
            }
            if (d.state() != DesktopState.FAILED && d.state() != DesktopState.PROVISIONING) {
                return;
            }
            Pool pool = pools.findById(d.poolId()).orElseThrow();
            // A personal desktop stays its owner's through a failure; a pooled one goes back to the pool.
            boolean personal = pool.kind() == PoolKind.PERSONAL;
            if (d.state() == DesktopState.FAILED && !desktops.transition(d.id(), List.of(DesktopState.FAILED),
                    DesktopState.PROVISIONING, personal ? KEEP : CLEAR, null)) {
                return;
            }
            try {
                machines.start(d, pool, pool.kind() == PoolKind.POOLED, () -> vmExited(desktopId));
                if (!desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.READY,
                        personal ? KEEP : CLEAR, null)) {
                    machines.stop(d.id()); // deleted or stopped while it started
                    return;
                }
                if (personal && d.assignedUser() != null) {
                    // Back to its owner, with the disk it had.
                    desktops.transition(d.id(), List.of(DesktopState.READY), DesktopState.ASSIGNED, KEEP, null);
                }
                failures.remove(desktopId);
                log.info("desktop {} is ready", d.name());
            } catch (Exception e) {
                int n = failures.merge(desktopId, 1, Integer::sum);
                log.warn("desktop {} failed to start (attempt {}): {}", d.name(), n, e.getMessage());
                machines.stop(d.id());
                desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.FAILED,
                        personal ? KEEP : CLEAR, truncate("Could not start: " + e.getMessage()));
                submit(desktopId, backoff(n));
            }
        } finally {
            busy.remove(desktopId);
        }
    }

    private Duration backoff(int failuresSoFar) {
        long factor = 1L << Math.min(failuresSoFar - 1, 6);
        return props.recoverDelay().multipliedBy(factor);
    }

    /** The VM stopped although nobody asked it to: the desktop failed; provision it again. */
    private void vmExited(String desktopId) {
        desktops.findById(desktopId).ifPresent(d -> {
            if (d.state() == DesktopState.DELETED || d.state() == DesktopState.FAILED
                    || d.state() == DesktopState.STOPPED) {
                return;
            }
            log.warn("the VM of desktop {} stopped unexpectedly", d.name());
            boolean personal = pools.findById(d.poolId()).map(p -> p.kind() == PoolKind.PERSONAL).orElse(false);
            if (d.assignedUser() != null && !personal) {
                lost.put(d.id(), d.assignedUser());
            }
            desktops.transition(d.id(), DesktopState.predecessorsOf(DesktopState.FAILED), DesktopState.FAILED,
                    personal ? KEEP : CLEAR, "Its virtual machine stopped unexpectedly");
            submit(d.id(), props.recoverDelay());
        });
    }

    /** Ends the user's session. A pooled desktop gets a clean disk and goes back to READY. */
    void logOff(Desktop d) {
        if (!desktops.transition(d.id(), List.of(DesktopState.ASSIGNED, DesktopState.CONNECTED, DesktopState.DISCONNECTED),
                DesktopState.LOGGING_OFF, KEEP, null)) {
            throw new IllegalTransitionException(d.name(), d.state(), DesktopState.LOGGING_OFF);
        }
        Pool pool = pools.findById(d.poolId()).orElseThrow();
        if (pool.kind() == PoolKind.PERSONAL) {
            desktops.transition(d.id(), List.of(DesktopState.LOGGING_OFF), DesktopState.ASSIGNED, KEEP, null);
            return;
        }
        desktops.transition(d.id(), List.of(DesktopState.LOGGING_OFF), DesktopState.REFRESHING, CLEAR, null);
        refreshLater(d, pool);
    }

    /** Gives a REFRESHING desktop a clean disk and a fresh VM, then reconciles its pool (its target may be lower). */
    private void refreshLater(Desktop d, Pool pool) {
        executor.execute(() -> {
            machines.stop(d.id());
            try {
                machines.start(d, pool, true, () -> vmExited(d.id()));
                if (!desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.READY, CLEAR, null)) {
                    machines.stop(d.id()); // deleted meanwhile
                }
            } catch (Exception e) {
                desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.FAILED, CLEAR,
                        truncate("Could not refresh: " + e.getMessage()));
                submit(d.id(), props.recoverDelay());
            }
            reconcile(pool);
        });
    }

    // ---------------------------------------------------------------- administrator actions (checked by callers)

    /** Starts a STOPPED (or FAILED) desktop's VM again. */
    void adminStart(Desktop d) {
        // If its shutdown is still finishing, provision() waits for it (it re-queues while busy).
        if (!desktops.transition(d.id(), List.of(DesktopState.STOPPED, DesktopState.FAILED), DesktopState.PROVISIONING,
                KEEP, null)) {
            throw new IllegalTransitionException(d.name(), current(d), DesktopState.PROVISIONING);
        }
        failures.remove(d.id());
        submit(d.id(), Duration.ZERO);
    }

    /** Shuts a READY (or FAILED) desktop's VM down gracefully; it stays STOPPED until started. */
    void adminShutdown(Desktop d, Duration timeout) {
        if (!desktops.transition(d.id(), List.of(DesktopState.READY, DesktopState.FAILED), DesktopState.STOPPED, KEEP,
                "Shut down by an administrator")) {
            DesktopState now = current(d);
            throw new IllegalTransitionException(now, DesktopState.STOPPED, now.isAssigned()
                    ? "Desktop " + d.name() + " is in use (" + now + "); log its user off before shutting it down"
                    : "Desktop " + d.name() + " cannot go from " + now + " to STOPPED");
        }
        busy.put(d.id(), Boolean.TRUE);
        executor.execute(() -> {
            try {
                machines.shutdown(d.id(), timeout);
            } catch (RuntimeException e) {
                log.warn("desktop {}: shutdown: {}", d.name(), e.getMessage());
                machines.stop(d.id());
            } finally {
                busy.remove(d.id());
            }
        });
    }

    /** Hard reset of a running desktop's VM; its state does not change. */
    void adminReset(Desktop d) {
        Set<DesktopState> running = Set.of(DesktopState.READY, DesktopState.ASSIGNED, DesktopState.CONNECTED,
                DesktopState.DISCONNECTED);
        if (!running.contains(d.state()) || !machines.isRunning(d.id())) {
            throw new IllegalTransitionException(d.state(), d.state(),
                    "Desktop " + d.name() + " cannot be reset while " + d.state() + ": its virtual machine does not run");
        }
        machines.reset(d.id());
    }

    /** Refreshes a READY pooled desktop: clean overlay, fresh VM. Personal desktops are refused (their disk). */
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

    /** Deletes one desktop: row DELETED (GPU slice released with it), VM stopped, disk removed; then reconciles. */
    void adminDelete(Desktop d, boolean force) {
        if (d.assignedUser() != null && !force) {
            throw new IllegalTransitionException(d.state(), DesktopState.DELETED, "Desktop " + d.name()
                    + " is assigned to " + d.assignedUser() + "; log them off first or delete with force");
        }
        if (!markDeleted(d, DesktopState.predecessorsOf(DesktopState.DELETED), "Deleted by an administrator")) {
            throw new IllegalTransitionException(d.name(), current(d), DesktopState.DELETED);
        }
        machines.discard(d);
        reconcileLater(d.poolId());
    }

    /**
     * Deletes all desktops of a pool (VMs stopped, disks removed, personal ones too), then the pool itself.
     *
     * @throws BrokerException ILLEGAL_STATE while desktops are assigned and {@code force} is false
     */
    void deletePool(Pool pool, boolean force) {
        synchronized (poolLocks.computeIfAbsent(pool.id(), k -> new Object())) {
            List<Desktop> live = desktops.findByPool(pool.id());
            List<String> users = live.stream().map(Desktop::assignedUser).filter(u -> u != null).sorted().toList();
            if (!users.isEmpty() && !force) {
                throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Pool " + pool.name() + " has " + users.size()
                        + " desktop(s) assigned to users (" + String.join(", ", users)
                        + "); log them off first or delete with force");
            }
            for (Desktop d : live) {
                markDeleted(d, DesktopState.predecessorsOf(DesktopState.DELETED), "Its pool was deleted");
            }
            for (Desktop d : live) {
                try {
                    machines.discard(d);
                } catch (RuntimeException e) {
                    log.warn("desktop {}: {}", d.name(), e.getMessage());
                }
            }
            tx.executeWithoutResult(s -> {
                desktops.deleteRowsOfPool(pool.id());
                pools.delete(pool.id());
            });
            poolLocks.remove(pool.id());
            log.info("pool {} deleted with {} desktop(s)", pool.name(), live.size());
        }
    }

    Optional<byte[]> screendump(String desktopId) {
        return machines.screendump(desktopId);
    }

    /** Moves the desktop to DELETED and releases its GPU slice in one transaction. */
    private boolean markDeleted(Desktop d, java.util.Collection<DesktopState> from, String reason) {
        Boolean done = tx.execute(s -> {
            if (!desktops.transition(d.id(), from, DesktopState.DELETED, CLEAR, reason)) {
                return false;
            }
            gpus.releaseFor(d.id());
            return true;
        });
        return Boolean.TRUE.equals(done);
    }

    private void discardLater(Desktop d) {
        ScheduledExecutorService ex = executor;
        if (ex != null && !ex.isShutdown()) {
            ex.execute(() -> machines.discard(d));
        } else {
            machines.discard(d);
        }
    }

    private DesktopState current(Desktop d) {
        return desktops.findById(d.id()).map(Desktop::state).orElse(DesktopState.DELETED);
    }

    /** Whether the desktop was taken from {@code user} because its VM died (pooled desktops). */
    boolean wasLostBy(String desktopId, String user) {
        return user.equals(lost.get(desktopId));
    }

    Optional<Path> vncSocket(String desktopId) {
        return machines.vncSocket(desktopId);
    }

    @Override
    public void stop() {
        ScheduledExecutorService ex = executor;
        if (ex != null) {
            ex.shutdownNow();
        }
        machines.stopAll();
    }

    @Override
    public boolean isRunning() {
        ScheduledExecutorService ex = executor;
        return ex != null && !ex.isShutdown();
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 497) + "...";
    }

    static String randomMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }
}
