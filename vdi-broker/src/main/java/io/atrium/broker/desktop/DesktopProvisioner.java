package io.atrium.broker.desktop;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.gpu.GpuCapacityChanged;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.pool.Pool;
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

    @Override
    public void start() {
        executor = Executors.newScheduledThreadPool(2, Thread.ofPlatform().name("desktop-provisioner-", 0)
                .daemon(true).factory());
        for (Desktop d : desktops.findAllLive()) {
            if (!machines.isRunning(d.id()) && d.state() != DesktopState.FAILED && d.state() != DesktopState.PROVISIONING) {
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
    void reconcile(Pool pool) {
        List<Desktop> live = desktops.findByPool(pool.id());
        Set<String> names = new HashSet<>(live.stream().map(Desktop::name).toList());
        int n = 1;
        for (int i = live.size(); i < pool.size(); i++) {
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
            if (i == pool.size() - 1) {
                gpus.recordShortfall(pool.id(), null);
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

    private void submit(String desktopId, Duration delay) {
        ScheduledExecutorService ex = executor;
        if (ex == null || ex.isShutdown()) {
            return;
        }
        ex.schedule(() -> provision(desktopId), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void provision(String desktopId) {
        if (busy.putIfAbsent(desktopId, Boolean.TRUE) != null) {
            return;
        }
        try {
            Desktop d = desktops.findById(desktopId).orElse(null);
            if (d == null || d.state() == DesktopState.DELETED) {
                return;
            }
            if (d.state() == DesktopState.FAILED
                    && !desktops.transition(d.id(), List.of(DesktopState.FAILED), DesktopState.PROVISIONING, CLEAR, null)) {
                return;
            }
            if (d.state() != DesktopState.FAILED && d.state() != DesktopState.PROVISIONING) {
                return;
            }
            Pool pool = pools.findById(d.poolId()).orElseThrow();
            try {
                machines.start(d, pool, pool.kind() == PoolKind.POOLED, () -> vmExited(desktopId));
                desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.READY,
                        pool.kind() == PoolKind.POOLED ? CLEAR : KEEP, null);
                failures.remove(desktopId);
                log.info("desktop {} is ready", d.name());
            } catch (Exception e) {
                int n = failures.merge(desktopId, 1, Integer::sum);
                log.warn("desktop {} failed to start (attempt {}): {}", d.name(), n, e.getMessage());
                machines.stop(d.id());
                desktops.transition(d.id(), List.of(DesktopState.PROVISIONING), DesktopState.FAILED, CLEAR,
                        truncate("Could not start: " + e.getMessage()));
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
            if (d.state() == DesktopState.DELETED || d.state() == DesktopState.FAILED) {
                return;
            }
            log.warn("the VM of desktop {} stopped unexpectedly", d.name());
            desktops.transition(d.id(), DesktopState.predecessorsOf(DesktopState.FAILED), DesktopState.FAILED, CLEAR,
                    "Its virtual machine stopped unexpectedly");
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
        executor.execute(() -> {
            machines.stop(d.id());
            try {
                machines.start(d, pool, true, () -> vmExited(d.id()));
                desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.READY, CLEAR, null);
            } catch (Exception e) {
                desktops.transition(d.id(), List.of(DesktopState.REFRESHING), DesktopState.FAILED, CLEAR,
                        truncate("Could not refresh: " + e.getMessage()));
                submit(d.id(), props.recoverDelay());
            }
        });
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
