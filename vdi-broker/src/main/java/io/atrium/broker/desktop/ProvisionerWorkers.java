package io.atrium.broker.desktop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The provisioner's threads, shared by its parts, and the guards that go with them.
 *
 * <ul>
 *   <li>Two platform threads ({@code desktop-provisioner-N}) for VM work (starts, refreshes, shutdowns, discards,
 *       reconciles), so that UI and API calls never wait for a VM.</li>
 *   <li>One thread ({@code desktop-machine-events}) that handles the host's machine events in the order they came.</li>
 *   <li>At most one task per desktop in flight, and one reconcile or deletion per pool at a time: a task runs only
 *       while it holds the desktop's (or pool's) {@link Leases lease} in the database; a task that finds it held
 *       tries again after {@link #BUSY_RETRY}.</li>
 * </ul>
 * Started and stopped by {@link RestartAdoption}; work handed in while they do not run is dropped (the next start-up
 * reconciles everything anyway).
 */
@Component
class ProvisionerWorkers {
    private static final Logger log = LoggerFactory.getLogger(ProvisionerWorkers.class);
    /** How soon a task whose desktop or pool is busy tries again. */
    static final Duration BUSY_RETRY = Duration.ofMillis(500);

    private final Leases leases;
    private volatile ScheduledExecutorService executor;
    private volatile ExecutorService events;

    ProvisionerWorkers(Leases leases) {
        this.leases = leases;
    }

    synchronized void start() {
        executor = Executors.newScheduledThreadPool(2, Thread.ofPlatform().name("desktop-provisioner-", 0)
                .daemon(true).factory());
        events = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("desktop-machine-events")
                .daemon(true).factory());
    }

    /** Stops both; running tasks are interrupted. */
    synchronized void stop() {
        ScheduledExecutorService ex = executor;
        ExecutorService ev = events;
        if (ex != null) {
            ex.shutdownNow();
        }
        if (ev != null) {
            ev.shutdownNow();
        }
    }

    boolean isRunning() {
        ScheduledExecutorService ex = executor;
        return ex != null && !ex.isShutdown();
    }

    void execute(Runnable task) {
        schedule(task, Duration.ZERO);
    }

    void schedule(Runnable task, Duration delay) {
        ScheduledExecutorService ex = executor;
        if (ex == null || ex.isShutdown()) {
            return;
        }
        try {
            ex.schedule(guarded(task), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            log.debug("provisioner stopping; task dropped");
        }
    }

    /** Runs {@code task} on the event thread, after the events handed in before it. */
    void onEventThread(Runnable task) {
        ExecutorService ev = events;
        if (ev == null || ev.isShutdown()) {
            return;
        }
        try {
            ev.execute(guarded(task));
        } catch (RejectedExecutionException stopping) {
            log.debug("provisioner stopping; event dropped");
        }
    }

    /** After {@code delay}, runs {@code task} on a worker while holding the desktop's lease (waiting for it). */
    void forDesktop(String desktopId, Duration delay, Runnable task) {
        schedule(() -> {
            if (!runLeased(Leases.desktop(desktopId), task)) {
                forDesktop(desktopId, BUSY_RETRY, task);
            }
        }, delay);
    }

    /** Runs {@code task} right here holding the desktop's lease; false (and not run) if another task holds it. */
    boolean tryForDesktop(String desktopId, Runnable task) {
        return runLeased(Leases.desktop(desktopId), task);
    }

    /**
     * Runs {@code task} holding the pool's lease: right here if it is free, otherwise later on a worker (so a
     * reconcile asked for while another one runs still happens, after it).
     */
    void forPool(String poolId, Runnable task) {
        if (!runLeased(Leases.pool(poolId), task)) {
            schedule(() -> forPool(poolId, task), BUSY_RETRY);
        }
    }

    /**
     * Runs {@code body} here holding the pool's lease, waiting up to {@code maxWait} for it.
     *
     * @throws io.atrium.broker.BrokerException ILLEGAL_STATE if the pool stays busy
     */
    <T> T withPool(String poolId, Duration maxWait, String what, Supplier<T> body) {
        Leases.Lease lease = leases.acquire(Leases.pool(poolId), maxWait, what);
        try {
            return body.get();
        } finally {
            leases.release(lease);
        }
    }

    /**
     * Takes the desktop's lease here (waiting up to {@code maxWait}), so that no other task of it can start before
     * {@link #runHolding} hands it to a worker.
     */
    Leases.Lease holdDesktop(String desktopId, Duration maxWait, String what) {
        return leases.acquire(Leases.desktop(desktopId), maxWait, what);
    }

    /** Runs {@code task} on a worker and then releases {@code lease} (at once, if the workers do not run). */
    void runHolding(Leases.Lease lease, Runnable task) {
        ScheduledExecutorService ex = executor;
        Runnable body = () -> {
            try {
                task.run();
            } finally {
                leases.release(lease);
            }
        };
        try {
            if (ex == null || ex.isShutdown()) {
                throw new RejectedExecutionException("not running");
            }
            ex.execute(guarded(body));
        } catch (RejectedExecutionException stopping) {
            leases.release(lease);
        }
    }

    void release(Leases.Lease lease) {
        leases.release(lease);
    }

    /** Runs {@code task} if the lease is free; false if it is held. */
    private boolean runLeased(String name, Runnable task) {
        Optional<Leases.Lease> lease = leases.tryAcquire(name);
        if (lease.isEmpty()) {
            return false;
        }
        try {
            task.run();
        } finally {
            leases.release(lease.get());
        }
        return true;
    }

    private Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (isRunning()) {
                    log.warn("provisioner task failed: {}", e.toString(), e);
                } else {
                    log.debug("provisioner task ended by the shutdown: {}", e.toString());
                }
            }
        };
    }
}
