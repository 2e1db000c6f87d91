package io.atrium.broker.gpu;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.gpu.GpuDevice;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuPoolSnapshot;
import io.atrium.vmm.gpu.GpuProperties;
import io.atrium.vmm.gpu.GpuQemuArgs;
import io.atrium.vmm.gpu.GpuRefusedException;
import io.atrium.vmm.gpu.GpuRestoreException;
import io.atrium.vmm.gpu.GpuSlice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * GPU sharing for desktops: which pool gets which GPU profile, which desktop holds which slice, and the modes of
 * the host's GPUs.
 *
 * <p>The accounting lives in one {@link GpuPool} (in memory, serialised under its lock, so a slice is never given
 * twice); every slice is also a {@code gpu_slice} row written in the <em>same transaction</em> as the desktop that
 * holds it. {@link #reserveFor} must run inside that transaction: if it rolls back, the slice goes back to the pool
 * (a transaction synchronization), so the database and the accounting never disagree. At start-up (before the
 * provisioner) the chosen GPU modes and the persisted slices are {@linkplain GpuPool#restore restored}, all or
 * nothing per slice list; slices that no longer match the GPUs are kept in the database, left out of the accounting
 * and reported ({@link GpuOverview#unrestored()}).
 *
 * <p>Security: the administrator methods check {@code ROLE_ADMIN} here ({@code @PreAuthorize}), whatever the caller;
 * the methods marked <em>internal</em> have no check and are for the provisioner and the VM launcher only.
 *
 * <p>Simulated GPUs ({@code atrium.vmm.gpu.inventory: 2 x h100-80gb-hbm3}) are accounting only: their slices are
 * reserved and shown like real ones (flagged {@code simulated}) but give no QEMU device.
 */
@Service
public class GpuService implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(GpuService.class);

    private final GpuPool gpus;
    private final GpuRepository repo;
    private final PoolRepository pools;
    private final ApplicationEventPublisher events;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final String inventory;
    private final Map<String, UnrestoredSlice> unrestored = new LinkedHashMap<>();
    private volatile boolean running;

    private final io.atrium.broker.audit.AuditLog audit;

    GpuService(GpuPool gpus, GpuRepository repo, PoolRepository pools, ApplicationEventPublisher events,
               PlatformTransactionManager transactions, Clock clock, GpuProperties props,
               io.atrium.broker.audit.AuditLog audit) {
        this.audit = audit;
        this.gpus = gpus;
        this.repo = repo;
        this.pools = pools;
        this.events = events;
        this.tx = new TransactionTemplate(transactions);
        this.clock = clock;
        this.inventory = props.inventory();
    }

    // ---------------------------------------------------------------- administrator API

    /** The GPUs, their slices and holders, and the pools with a GPU profile. */
    @PreAuthorize("hasRole('ADMIN')")
    public GpuOverview overview() {
        GpuPoolSnapshot snapshot = gpus.snapshot();
        List<UnrestoredSlice> lost;
        synchronized (unrestored) {
            lost = List.copyOf(unrestored.values());
        }
        return new GpuOverview(inventory, snapshot.migPolicy(), snapshot.gpus(), repo.holders(), plans(),
                gpus.profileNames(), lost);
    }

    /** The state of every GPU, each GPU and slice flagged {@code simulated} or not. */
    @PreAuthorize("hasRole('ADMIN')")
    public GpuPoolSnapshot snapshot() {
        return gpus.snapshot();
    }

    /**
     * Switches an empty GPU between MIG, time-sliced and unshared (accounting only; see {@link GpuPool#switchMode}).
     *
     * @throws BrokerException NOT_FOUND for an unknown GPU; ILLEGAL_STATE (409) with the reason when the GPU holds
     *                         slices or its hardware does not allow the mode
     */
    @PreAuthorize("hasRole('ADMIN')")
    public GpuMode switchMode(int gpuIndex, GpuMode mode) {
        return audit.audited("gpu.mode", "gpu", Integer.toString(gpuIndex),
                java.util.Map.of("after", String.valueOf(mode)), () -> doSwitchMode(gpuIndex, mode));
    }

    private GpuMode doSwitchMode(int gpuIndex, GpuMode mode) {
        if (mode == null) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, "mode is required: one of MIG, TIME_SLICED, NONE");
        }
        GpuDevice gpu = gpus.gpu(gpuIndex).orElseThrow(() -> BrokerException.notFound("GPU " + gpuIndex));
        GpuMode before = gpus.mode(gpuIndex);
        try {
            gpus.switchMode(gpuIndex, mode);
        } catch (GpuRefusedException e) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, e.reason(), e);
        }
        if (before != mode) {
            try {
                tx.executeWithoutResult(s -> repo.setMode(gpu.uuid(), mode, clock.instant()));
            } catch (RuntimeException e) {
                gpus.switchMode(gpuIndex, before);
                throw e;
            }
            log.info("GPU {} switched from {} to {}", gpuIndex, before, mode);
            events.publishEvent(new GpuCapacityChanged(null));
        }
        return mode;
    }

    /** The pool's GPU profile and how many of its desktops hold a slice. */
    @PreAuthorize("hasRole('ADMIN')")
    public PoolGpuPlan poolGpu(String poolId) {
        return plan(pool(poolId));
    }

    /** {@link #poolGpu} of every pool, by pool name (pools without a GPU profile have a null profile). */
    @PreAuthorize("hasRole('ADMIN')")
    public List<PoolGpuPlan> poolPlans() {
        return pools.findAll().stream().map(this::plan).toList();
    }

    /**
     * Gives the pool a GPU profile (every desktop gets one slice of it), or takes it away ({@code null}). Live
     * desktops of the pool that hold no slice get one now (a running VM sees its device from its next start), and
     * the pool is reconciled, so desktops that could not be placed before are created where they now fit.
     *
     * @throws BrokerException NOT_FOUND for an unknown pool; INVALID_INPUT for a profile no GPU of this host knows;
     *                         ILLEGAL_STATE when the pool's desktops hold slices of another profile (they are released
     *                         when the desktops are deleted)
     */
    @PreAuthorize("hasRole('ADMIN')")
    public PoolGpuPlan setPoolProfile(String poolId, String profile) {
        java.util.Map<String, Object> detail = new java.util.LinkedHashMap<>();
        detail.put("before", repo.profileOf(poolId).orElse("none"));
        detail.put("after", profile == null || profile.isBlank() ? "none" : profile.strip());
        return audit.audited("pool.gpu-profile", "pool", poolId, detail, () -> doSetPoolProfile(poolId, profile));
    }

    private PoolGpuPlan doSetPoolProfile(String poolId, String profile) {
        Pool pool = pool(poolId);
        String wanted = profile == null || profile.isBlank() ? null : profile.strip();
        if (wanted != null && !gpus.knowsProfile(wanted)) {
            throw new BrokerException(BrokerStatus.INVALID_INPUT, gpus.gpus().isEmpty()
                    ? "This host has no GPUs (atrium.vmm.gpu.inventory is '" + inventory + "'), so pool "
                    + pool.name() + " cannot have GPU profile " + wanted
                    : "No GPU of this host has profile '" + wanted + "'; known profiles: "
                    + String.join(", ", gpus.profileNames()));
        }
        Optional<String> current = repo.profileOf(poolId);
        if (current.equals(Optional.ofNullable(wanted))) {
            return plan(pool);
        }
        List<GpuSlice> held = repo.slicesOfPool(poolId);
        if (!held.isEmpty()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "The " + held.size() + " desktop(s) of pool "
                    + pool.name() + " hold " + current.orElse("?") + " slices; they are released only when the "
                    + "desktops are deleted, so the profile cannot change to " + (wanted == null ? "none" : wanted));
        }
        tx.executeWithoutResult(s -> {
            if (wanted == null) {
                repo.clearProfile(poolId);
            } else {
                repo.setProfile(poolId, wanted, clock.instant());
            }
        });
        log.info("pool {} GPU profile: {}", pool.name(), wanted == null ? "none" : wanted);
        if (wanted != null) {
            reserveForExisting(pool);
            events.publishEvent(new GpuCapacityChanged(poolId));
        }
        return plan(pool);
    }

    // ---------------------------------------------------------------- internal API (no authorization check)

    /**
     * Internal: reserves a slice of the pool's GPU profile for a desktop, inside the caller's transaction (the one
     * that inserts the desktop row). Nothing happens for a pool without a profile; a desktop that already holds a
     * slice keeps it. If the transaction rolls back, the slice is released.
     *
     * @throws GpuRefusedException   when no GPU can take the profile (the transaction should roll back)
     * @throws IllegalStateException when no transaction is active
     */
    public Optional<GpuSlice> reserveFor(String desktopId, String poolId) {
        Optional<String> profile = repo.profileOf(poolId);
        if (profile.isEmpty()) {
            return Optional.empty();
        }
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("GpuService.reserveFor must run in the transaction that creates the desktop");
        }
        Optional<GpuSlice> existing = repo.findByDesktop(desktopId);
        if (existing.isPresent()) {
            return existing;
        }
        GpuSlice slice = gpus.allocate(profile.get(), desktopId);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                if (status != STATUS_COMMITTED) {
                    gpus.release(slice.id());
                    log.debug("released GPU slice {} of desktop {}: transaction rolled back", slice.id(), desktopId);
                }
            }
        });
        try {
            repo.insert(slice, desktopId, clock.instant());
        } catch (DuplicateKeyException e) {
            // the accounting and the database disagree (it never happens while one broker owns the GPUs)
            throw new GpuRefusedException("GPU " + slice.gpuIndex() + " " + slice.profile() + " at "
                    + slice.start() + " is already recorded for another desktop in the database");
        }
        log.info("desktop {} holds {} slice {} on GPU {}{}", desktopId, slice.profile(), slice.id(),
                slice.gpuIndex(), slice.simulated() ? " (simulated: accounting only)" : "");
        return Optional.of(slice);
    }

    /**
     * Internal: releases the desktop's slice, if it holds one. Call it where the desktop row is deleted (or marked
     * DELETED), in the same transaction: the row goes with the transaction, and the slice returns to the pool only
     * once it commits. Without a transaction the slice is released at once.
     *
     * @return whether the desktop held a slice
     */
    public boolean releaseFor(String desktopId) {
        Optional<GpuSlice> row = repo.findByDesktop(desktopId);
        List<GpuSlice> inMemory = gpus.slicesOf(desktopId);
        if (row.isEmpty() && inMemory.isEmpty()) {
            return false;
        }
        repo.deleteByDesktop(desktopId);
        synchronized (unrestored) {
            row.ifPresent(r -> unrestored.remove(r.id()));
        }
        Runnable release = () -> inMemory.forEach(s -> gpus.release(s.id()));
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    release.run();
                }
            });
        } else {
            release.run();
        }
        log.info("desktop {} released its GPU slice", desktopId);
        return true;
    }

    /**
     * Internal: the QEMU arguments that give the desktop's VM its GPU slice (VFIO passthrough or a vGPU mediated
     * device); empty when it holds none or its GPU is simulated.
     */
    public List<String> qemuArgsFor(String desktopId) {
        for (GpuSlice slice : gpus.slicesOf(desktopId)) {
            GpuDevice gpu = gpus.gpu(slice.gpuIndex()).orElseThrow();
            return GpuQemuArgs.forSlice(slice, gpu);
        }
        return List.of();
    }

    /** Internal: the slice the desktop holds. */
    public Optional<GpuSlice> sliceOf(String desktopId) {
        return gpus.slicesOf(desktopId).stream().findFirst();
    }

    /**
     * Internal: records why the last attempt to create desktops of the pool could not place them all
     * ({@code null}: it placed every one). Runs in its own transaction.
     */
    public void recordShortfall(String poolId, String reason) {
        if (repo.profileOf(poolId).isEmpty()) {
            return;
        }
        tx.executeWithoutResult(s -> repo.setShortfall(poolId, reason, clock.instant()));
    }

    // ---------------------------------------------------------------- lifecycle: restore before provisioning

    @Override
    public void start() {
        restore();
        running = true;
    }

    /** Applies the persisted GPU modes, then the persisted slices. */
    void restore() {
        Map<String, GpuMode> modes = repo.modes();
        for (GpuDevice gpu : gpus.gpus()) {
            GpuMode mode = modes.get(gpu.uuid());
            if (mode != null) {
                try {
                    gpus.switchMode(gpu.index(), mode);
                } catch (GpuRefusedException e) {
                    log.warn("GPU {} stays in {}: the persisted mode {} is refused: {}", gpu.index(),
                            gpus.mode(gpu.index()), mode, e.reason());
                }
            }
        }
        List<GpuSlice> persisted = repo.findAll();
        List<GpuSlice> accepted = new ArrayList<>(persisted);
        Map<String, String> rejected = new LinkedHashMap<>();
        for (int attempt = 0; ; attempt++) {
            try {
                gpus.restore(accepted);
                break;
            } catch (GpuRestoreException e) {
                if (attempt >= 3) {
                    throw new IllegalStateException("cannot restore GPU slices: " + e.getMessage(), e);
                }
                rejected.putAll(e.rejected());
                accepted.removeIf(s -> rejected.containsKey(s.id()));
            }
        }
        synchronized (unrestored) {
            unrestored.clear();
            for (GpuSlice s : persisted) {
                String reason = rejected.get(s.id());
                if (reason != null) {
                    unrestored.put(s.id(), new UnrestoredSlice(s.id(), s.owner(), s.gpuIndex(), s.gpuUuid(),
                            s.profile(), reason));
                    log.error("GPU slice {} of desktop {} ({} on GPU {}) was not restored: {}", s.id(), s.owner(),
                            s.profile(), s.gpuIndex(), reason);
                }
            }
        }
        if (!persisted.isEmpty()) {
            log.info("restored {} of {} GPU slice(s)", accepted.size(), persisted.size());
        }
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** After the demo pool seeder, before the desktop provisioner. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 2048;
    }

    // ---------------------------------------------------------------- helpers

    private Pool pool(String poolId) {
        return pools.findById(poolId).orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    private List<PoolGpuPlan> plans() {
        Map<String, String> profiles = repo.profiles();
        List<PoolGpuPlan> plans = new ArrayList<>();
        for (Pool pool : pools.findAll()) {
            if (profiles.containsKey(pool.id())) {
                plans.add(plan(pool));
            }
        }
        return plans;
    }

    private PoolGpuPlan plan(Pool pool) {
        Optional<String> profile = repo.profileOf(pool.id());
        if (profile.isEmpty()) {
            return new PoolGpuPlan(pool.id(), pool.name(), null, 0, pool.size(), null, false);
        }
        Set<String> lost;
        synchronized (unrestored) {
            lost = new HashSet<>(unrestored.keySet());
        }
        List<GpuSlice> held = repo.slicesOfPool(pool.id()).stream().filter(s -> !lost.contains(s.id())).toList();
        int placed = held.size();
        String reason = null;
        if (placed < pool.size()) {
            reason = repo.shortfallOf(pool.id()).orElse(placed == 0 && repo.desktopsWithoutSlice(pool.id()).isEmpty()
                    ? "no desktop created yet" : "not yet placed");
        }
        boolean simulated = held.isEmpty() ? gpus.gpus().stream().allMatch(GpuDevice::simulated)
                : held.stream().allMatch(GpuSlice::simulated);
        return new PoolGpuPlan(pool.id(), pool.name(), profile.get(), placed, pool.size(), reason, simulated);
    }

    /** Gives a slice to each live desktop of the pool that has none, each in its own transaction. */
    private void reserveForExisting(Pool pool) {
        for (String desktopId : repo.desktopsWithoutSlice(pool.id())) {
            try {
                tx.executeWithoutResult(s -> reserveFor(desktopId, pool.id()));
            } catch (RuntimeException e) {
                recordShortfall(pool.id(), e.getMessage());
                log.warn("desktop {} of pool {} gets no GPU: {}", desktopId, pool.name(), e.getMessage());
                return;
            }
        }
    }
}
