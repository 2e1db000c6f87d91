package io.atrium.broker.desktop;

import io.atrium.broker.gpu.GpuCapacityChanged;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolChanged;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Keeps every pool at its size: {@code Pool.targetSize(assigned)} desktops. Creates the missing rows (each with its
 * GPU slice, in one transaction; when no GPU can take the profile the desktop is not made and the pool records why),
 * removes surplus unassigned READY or FAILED desktops (FAILED and newest first), and hands every desktop that needs
 * a VM to {@link DesktopRecovery}.
 *
 * <p>Reconciles of one pool never overlap, also across brokers: each runs holding the pool's lease
 * ({@link ProvisionerWorkers#forPool}); one asked for while another runs happens after it. It runs when a pool is
 * created or changed, when GPU capacity changed, after each open and each refresh, and at start-up.
 */
@Component
class PoolReconciler {
    private static final Logger log = LoggerFactory.getLogger(PoolReconciler.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DesktopRepository desktops;
    private final PoolRepository pools;
    private final GpuService gpus;
    private final DesktopRows rows;
    private final DesktopRecovery recovery;
    private final ProvisionerWorkers workers;
    private final Clock clock;

    PoolReconciler(DesktopRepository desktops, PoolRepository pools, GpuService gpus, DesktopRows rows,
                   DesktopRecovery recovery, ProvisionerWorkers workers, Clock clock) {
        this.desktops = desktops;
        this.pools = pools;
        this.gpus = gpus;
        this.rows = rows;
        this.recovery = recovery;
        this.workers = workers;
        this.clock = clock;
    }

    /** Reconciles the pool here if no other reconcile of it runs, otherwise right after that one. */
    void reconcile(Pool pool) {
        reconcile(pool.id());
    }

    void reconcile(String poolId) {
        workers.forPool(poolId, () -> pools.findById(poolId).ifPresent(this::reconcileHeld));
    }

    /** Reconciles the pool on the provisioner's threads (after an assignment or a deletion changed what it needs). */
    void reconcileLater(String poolId) {
        workers.execute(() -> reconcile(poolId));
    }

    /** A pool got a GPU profile or a GPU changed mode: desktops that did not fit before may fit now. */
    @EventListener
    void gpuCapacityChanged(GpuCapacityChanged event) {
        if (!workers.isRunning()) {
            return;
        }
        (event.poolId() == null ? pools.findAll() : pools.findById(event.poolId()).stream().toList())
                .forEach(this::reconcile);
    }

    /** A pool was created or changed: bring it to its target size. */
    @EventListener
    void poolChanged(PoolChanged event) {
        if (workers.isRunning()) {
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

    /** Runs holding the pool's lease. */
    private void reconcileHeld(Pool pool) {
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
                rows.create(desktop);
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
                && DesktopState.SURPLUS_REMOVABLE.contains(d.state())).toList());
        removable.sort(Comparator.comparing((Desktop d) -> d.state() != DesktopState.FAILED)
                .thenComparing(Desktop::createdAt, Comparator.reverseOrder()));
        for (Desktop d : removable) {
            if (surplus <= 0) {
                break;
            }
            if (rows.markDeleted(d, List.of(d.state()), "Removed: pool " + pool.name() + " is above its target size")) {
                surplus--;
                log.info("pool {}: removed surplus desktop {} (target {})", pool.name(), d.name(), target);
                rows.discardLater(d);
            }
        }
        for (Desktop d : desktops.findByPool(pool.id())) {
            if (DesktopState.NEEDS_PROVISIONING.contains(d.state())) {
                recovery.provisionSoon(d.id());
            }
        }
    }

    static String randomMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(b);
    }
}
