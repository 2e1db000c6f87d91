package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Publishing image versions to pools: a pool pins one version, plus optionally a canary version on N of its
 * desktops. A publish starts a {@link Rollout} that {@link RolloutRunner} moves on: at log off (the default: idle
 * spares are replaced at once, busy desktops when their user logs off) or forced (users get a message and, after the
 * grace period, are logged off), in batches, stopping at the first desktop that fails on the new version. A rollback
 * republishes the version the pool had before (fast: its files and template are still there). Personal desktops keep
 * their disks: a rollout never recreates them.
 *
 * <p>Every administrator method checks {@code ROLE_ADMIN} itself and is recorded in the audit log; bad input names
 * its field; a rollout while another runs is 409.
 */
@Service
public class RolloutService {
    private static final Logger log = LoggerFactory.getLogger(RolloutService.class);
    static final Duration MAX_GRACE = Duration.ofHours(24);

    private final ImageRepository images;
    private final PoolImageRepository pins;
    private final PoolImages poolImages;
    private final PoolRepository pools;
    private final DesktopService desktops;
    private final ImageLibraryProperties props;
    private final AuditLog audit;
    private final Clock clock;

    RolloutService(ImageRepository images, PoolImageRepository pins, PoolImages poolImages, PoolRepository pools,
                   DesktopService desktops, ImageLibraryProperties props, AuditLog audit, Clock clock) {
        this.images = images;
        this.pins = pins;
        this.poolImages = poolImages;
        this.pools = pools;
        this.desktops = desktops;
        this.props = props;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * How to publish.
     *
     * @param versionId    the version (ignored by a rollback)
     * @param mode         {@code AT_LOGOFF} (default) or {@code FORCED}
     * @param graceSeconds FORCED: seconds between the message and the log off (default
     *                     {@code atrium.broker.images.default-grace})
     * @param batchSize    desktops moved at a time (default {@code atrium.broker.images.default-batch-size})
     */
    public record PublishSpec(String versionId, String mode, Long graceSeconds, Integer batchSize) {
    }

    // ------------------------------------------------------------------ reading

    @PreAuthorize("hasRole('ADMIN')")
    public RolloutStatus status(String poolId) {
        return statusOf(pool(poolId));
    }

    /**
     * For the user of a desktop: when a forced rollout logs them off (their desktop is replaced by a new version),
     * if it does.
     */
    @PreAuthorize("isAuthenticated()")
    public Optional<Instant> logoffNotice(String desktopId) {
        Desktop d = desktops.myDesktop(desktopId);
        return pins.running(d.poolId()).filter(r -> r.mode() == Rollout.Mode.FORCED)
                .flatMap(r -> pins.logoffAt(r.id(), d.id()));
    }

    // ------------------------------------------------------------------ publishing

    @PreAuthorize("hasRole('ADMIN')")
    public Rollout publish(String poolId, PublishSpec spec) {
        Pool pool = pool(poolId);
        Map<String, String> errors = new LinkedHashMap<>();
        ImageVersion version = spec == null || spec.versionId() == null ? null
                : images.findVersion(spec.versionId()).orElse(null);
        if (version == null) {
            errors.put("versionId", "must name a version of the library");
        } else {
            checkPublishable(version, pool, errors, "versionId");
        }
        Rollout.Mode mode = mode(spec, errors);
        Duration grace = grace(spec, errors);
        int batch = batch(spec, errors);
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        return start(pool, version, mode, grace, batch, false);
    }

    /**
     * Republishes the version the pool had before the last rollout (a running one is cancelled first), with the
     * given mode.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public Rollout rollback(String poolId, PublishSpec spec) {
        Pool pool = pool(poolId);
        Map<String, String> errors = new LinkedHashMap<>();
        Rollout.Mode mode = mode(spec, errors);
        Duration grace = grace(spec, errors);
        int batch = batch(spec, errors);
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        ImageVersion target = rollbackTarget(pool.id()).orElseThrow(() -> new BrokerException(
                BrokerStatus.ILLEGAL_STATE, "Pool " + pool.name() + " has no earlier version to roll back to"));
        pins.running(pool.id()).ifPresent(r -> {
            pins.end(r.id(), Rollout.State.CANCELLED, "Cancelled by a rollback to " + target.label());
            images.findVersion(r.to()).ifPresent(poolImages::supersedeIfUnused);
        });
        Rollout r = start(pool, images.findVersion(target.id()).orElseThrow(), mode, grace, batch, true);
        audit.record("image.rollback", "pool", pool.id(), Map.of("to", target.id()));
        return r;
    }

    /** Cancels the pool's running rollout: it keeps the version it pinned; desktops moved already stay moved. */
    @PreAuthorize("hasRole('ADMIN')")
    public Rollout cancel(String poolId) {
        Pool pool = pool(poolId);
        Rollout r = pins.running(pool.id()).orElseThrow(() -> new BrokerException(BrokerStatus.ILLEGAL_STATE,
                "Pool " + pool.name() + " has no running rollout"));
        pins.end(r.id(), Rollout.State.CANCELLED, "Cancelled by " + CurrentUser.get().name());
        images.findVersion(r.to()).ifPresent(poolImages::supersedeIfUnused);
        audit.record("image.rollout.cancel", "pool", pool.id(), Map.of("rollout", r.id()));
        return pins.latest(pool.id()).orElseThrow();
    }

    /**
     * Gives the pool a canary version on {@code size} of its desktops (idle ones are replaced at once, busy ones at
     * log off), or takes it away ({@code versionId} null).
     */
    @PreAuthorize("hasRole('ADMIN')")
    public RolloutStatus setCanary(String poolId, String versionId, Integer size) {
        Pool pool = pool(poolId);
        PoolImageRepository.Pin pin = poolImages.ensurePin(pool).orElseThrow(() -> new BrokerException(
                BrokerStatus.ILLEGAL_STATE, "Pool " + pool.name() + " pins no version"));
        Optional<ImageVersion> before = pin.canaryVersion().flatMap(images::findVersion);
        if (versionId == null || versionId.isBlank()) {
            pins.setCanary(pool.id(), null, 0);
            before.ifPresent(poolImages::supersedeIfUnused);
            before.ifPresent(old -> replaceIdle(pool, d -> old.id().equals(d), Integer.MAX_VALUE));
            audit.record("image.canary", "pool", pool.id(), Map.of("version", "none"));
            return statusOf(pool);
        }
        Map<String, String> errors = new LinkedHashMap<>();
        ImageVersion version = images.findVersion(versionId).orElse(null);
        if (version == null) {
            errors.put("versionId", "must name a version of the library");
        } else {
            checkPublishable(version, pool, errors, "versionId");
            if (pin.version().filter(version.id()::equals).isPresent()) {
                errors.put("versionId", "is the pool's pinned version already");
            }
        }
        if (size == null || size < 1 || size > Math.max(1, pool.maxSize())) {
            errors.put("size", "must be a whole number from 1 to the pool's maximum size (" + pool.maxSize() + ")");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        pins.setCanary(pool.id(), version.id(), size);
        poolImages.publish(version);
        before.filter(b -> !b.id().equals(version.id())).ifPresent(poolImages::supersedeIfUnused);
        images.log(version.id(), VersionLogEntry.Level.INFO, "canary on " + size + " desktop(s) of pool " + pool.name());
        audit.record("image.canary", "pool", pool.id(), Map.of("version", version.id(), "size", size));
        return statusOf(pool);
    }

    // ------------------------------------------------------------------ internals

    private Rollout start(Pool pool, ImageVersion version, Rollout.Mode mode, Duration grace, int batch,
                          boolean rollback) {
        if (pins.running(pool.id()).isPresent()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "A rollout to pool " + pool.name()
                    + " runs already; cancel it or roll back");
        }
        Optional<String> from = poolImages.ensurePin(pool).flatMap(PoolImageRepository.Pin::version);
        if (from.filter(version.id()::equals).isPresent()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Pool " + pool.name() + " pins " + version.label()
                    + " already");
        }
        Rollout r = new Rollout(UUID.randomUUID().toString(), pool.id(), from, version.id(), mode, batch, grace,
                rollback, Rollout.State.RUNNING, null, CurrentUser.get().name(), clock.instant(), Optional.empty());
        pins.insertRollout(r);
        poolImages.publish(images.findVersion(version.id()).orElseThrow());
        images.log(version.id(), VersionLogEntry.Level.INFO, (rollback ? "rolled back to: " : "published to ")
                + "pool " + pool.name() + " (" + mode + (mode == Rollout.Mode.FORCED ? ", grace " + grace.toSeconds()
                + " s" : "") + ", batches of " + batch + ")");
        audit.record(rollback ? "image.rollback.start" : "image.publish", "pool", pool.id(), Map.of("version",
                version.id(), "mode", mode.name(), "batch", batch, "graceSeconds", grace.toSeconds()));
        log.info("pool {}: {} {} ({}, batches of {})", pool.name(), rollback ? "rolling back to" : "publishing",
                version.label(), mode, batch);
        return r;
    }

    private void checkPublishable(ImageVersion v, Pool pool, Map<String, String> errors, String field) {
        if (v.kind() != ImageVersion.Kind.DISK) {
            errors.put(field, v.label() + " is an install medium, not a disk");
        } else if (!VersionState.PUBLISHABLE.contains(v.state())) {
            errors.put(field, v.label() + " is " + v.state() + "; only a ready (boot-tested) version can be published");
        } else if (!v.imageName().equals(pool.image())) {
            errors.put(field, v.label() + " is a version of " + v.imageName() + "; pool " + pool.name() + " uses image "
                    + pool.image() + " (change the pool's image first)");
        }
    }

    /** The version a rollback republishes: a running rollout's origin, else the last finished one's. */
    Optional<ImageVersion> rollbackTarget(String poolId) {
        Optional<Rollout> latest = pins.latest(poolId);
        return latest.flatMap(Rollout::from).flatMap(images::findVersion)
                .filter(v -> VersionState.PUBLISHABLE.contains(v.state()))
                .filter(v -> !pins.pin(poolId).flatMap(PoolImageRepository.Pin::version).filter(v.id()::equals)
                        .isPresent() || latest.get().running());
    }

    /** Replaces (refreshes) up to {@code max} idle pooled desktops whose version matches; returns how many. */
    int replaceIdle(Pool pool, java.util.function.Predicate<String> versionMatches, int max) {
        if (pool.kind() == PoolKind.PERSONAL) {
            return 0;
        }
        Map<String, String> versions = pins.desktopVersions(pool.id());
        int n = 0;
        for (Desktop d : desktops.desktopsOfPool(pool.id())) {
            if (n >= max) {
                break;
            }
            if (d.state() == DesktopState.READY && d.assignedUser() == null
                    && versionMatches.test(versions.get(d.id())) && desktops.refreshIdle(d.id())) {
                n++;
            }
        }
        return n;
    }

    RolloutStatus statusOf(Pool pool) {
        PoolImageRepository.Pin pin = poolImages.ensurePin(pool).orElse(null);
        Optional<ImageVersion> pinned = pin == null ? Optional.empty() : pin.version().flatMap(images::findVersion);
        Optional<ImageVersion> canary = pin == null ? Optional.empty()
                : pin.canaryVersion().flatMap(images::findVersion);
        Optional<Rollout> running = pins.running(pool.id());
        Optional<Rollout> shown = running.or(() -> pins.latest(pool.id()));
        Optional<ImageVersion> target = running.flatMap(r -> images.findVersion(r.to()));
        String current = target.or(() -> pinned).map(ImageVersion::id).orElse(null);
        Map<String, String> versions = pins.desktopVersions(pool.id());
        Map<String, Instant> notified = running.filter(r -> r.mode() == Rollout.Mode.FORCED)
                .map(r -> pins.pendingLogoffs(r.id())).orElse(Map.of());
        Map<String, String> labels = new LinkedHashMap<>();
        List<RolloutStatus.DesktopProgress> rows = new ArrayList<>();
        for (Desktop d : desktops.desktopsOfPool(pool.id())) {
            String v = versions.get(d.id());
            String label = v == null ? null : labels.computeIfAbsent(v, id -> images.findVersion(id)
                    .map(ImageVersion::label).orElse(id));
            RolloutStatus.Progress progress;
            if (pool.kind() == PoolKind.PERSONAL && v != null && !v.equals(current)) {
                progress = RolloutStatus.Progress.KEPT;
            } else if (canary.isPresent() && canary.get().id().equals(v)) {
                progress = RolloutStatus.Progress.CANARY;
            } else if (v != null && v.equals(current)) {
                progress = d.state() == DesktopState.FAILED ? RolloutStatus.Progress.FAILED : RolloutStatus.Progress.NEW;
            } else if (notified.containsKey(d.id())) {
                progress = RolloutStatus.Progress.NOTIFIED;
            } else {
                progress = RolloutStatus.Progress.OLD;
            }
            rows.add(new RolloutStatus.DesktopProgress(d.id(), d.name(), d.state(), d.assignedUser(),
                    Optional.ofNullable(v), Optional.ofNullable(label), progress,
                    Optional.ofNullable(notified.get(d.id()))));
        }
        return new RolloutStatus(pool.id(), pool.name(), pool.image(), pool.kind() == PoolKind.PERSONAL, pinned,
                canary, pin == null ? 0 : pin.canarySize(), shown, target, rollbackTarget(pool.id()), rows);
    }

    private Pool pool(String poolId) {
        return pools.findById(poolId).orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    private static Rollout.Mode mode(PublishSpec spec, Map<String, String> errors) {
        String text = spec == null ? null : spec.mode();
        if (text == null || text.isBlank()) {
            return Rollout.Mode.AT_LOGOFF;
        }
        try {
            return Rollout.Mode.valueOf(text.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            errors.put("mode", "must be AT_LOGOFF or FORCED");
            return Rollout.Mode.AT_LOGOFF;
        }
    }

    private Duration grace(PublishSpec spec, Map<String, String> errors) {
        Long seconds = spec == null ? null : spec.graceSeconds();
        if (seconds == null) {
            return props.defaultGrace();
        }
        if (seconds < 0 || seconds > MAX_GRACE.toSeconds()) {
            errors.put("graceSeconds", "must be from 0 to " + MAX_GRACE.toSeconds() + " seconds");
            return props.defaultGrace();
        }
        return Duration.ofSeconds(seconds);
    }

    private int batch(PublishSpec spec, Map<String, String> errors) {
        Integer n = spec == null ? null : spec.batchSize();
        if (n == null) {
            return props.defaultBatchSize();
        }
        if (n < 1 || n > 1000) {
            errors.put("batchSize", "must be a whole number from 1 to 1000");
            return props.defaultBatchSize();
        }
        return n;
    }
}
