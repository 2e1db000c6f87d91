package io.atrium.broker.image;

import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.broker.session.SessionService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Moves running rollouts on (thread {@code image-rollouts}, every {@code atrium.broker.images.rollout-check-period}),
 * fills canaries, and supersedes published versions no pool uses any more (their pool was deleted). Per pool and
 * tick:
 * <ol>
 *   <li>a pooled desktop that FAILED on the new version stops the rollout (FAILED, naming it): no more desktops are
 *       moved, and the pool keeps (and new or failed desktops get) the version it pinned;</li>
 *   <li>when every pooled desktop runs the new version, the rollout is DONE: the pool pins it, and the old version is
 *       SUPERSEDED once nothing uses it;</li>
 *   <li>otherwise, while fewer than a batch of desktops are being moved: idle desktops (READY, nobody's) are
 *       replaced at once; a FORCED rollout also tells the users of busy desktops (their viewer shows when) and, once
 *       their grace period is over, logs them off as an administrator would (4008); their pooled desktop is then
 *       replaced. AT_LOGOFF leaves busy desktops to their user's log off, whose refresh starts the new version.</li>
 * </ol>
 * A personal pool's rollout is DONE at once: personal desktops keep their disks; only desktops made afterwards start
 * the new version. The state that must survive a restart is in the database (rollouts, who was told when).
 */
@Component
class RolloutRunner implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RolloutRunner.class);
    private static final Set<DesktopState> MOVING = EnumSet.of(DesktopState.PROVISIONING, DesktopState.REFRESHING,
            DesktopState.LOGGING_OFF);

    private final PoolImageRepository pins;
    private final ImageRepository images;
    private final PoolImages poolImages;
    private final RolloutService rollouts;
    private final PoolRepository pools;
    private final DesktopService desktops;
    private final SessionService sessions;
    private final ImageLibraryProperties props;
    private final AuditLog audit;
    private final Clock clock;
    private volatile ScheduledExecutorService scheduler;

    RolloutRunner(PoolImageRepository pins, ImageRepository images, PoolImages poolImages, RolloutService rollouts,
                  PoolRepository pools, DesktopService desktops, SessionService sessions,
                  ImageLibraryProperties props, AuditLog audit, Clock clock) {
        this.pins = pins;
        this.images = images;
        this.poolImages = poolImages;
        this.rollouts = rollouts;
        this.pools = pools;
        this.desktops = desktops;
        this.sessions = sessions;
        this.props = props;
        this.audit = audit;
        this.clock = clock;
    }

    @Override
    public synchronized void start() {
        if (props.rolloutCheckPeriod().isZero()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("image-rollouts").daemon(true)
                .factory());
        long period = props.rolloutCheckPeriod().toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (RuntimeException e) {
                log.warn("rollout check failed: {}", e.toString(), e);
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }

    /** One round over every pool with a running rollout or a canary (tests call it directly). */
    synchronized void tick() {
        for (Rollout r : pins.allRunning()) {
            pools.findById(r.poolId()).ifPresent(pool -> advance(pool, r));
        }
        // a version whose last pool was deleted is no longer published
        for (ImageVersion v : images.findInStates(List.of(VersionState.PUBLISHED))) {
            poolImages.supersedeIfUnused(v);
        }
        for (PoolImageRepository.Pin pin : pins.pins()) {
            if (pin.canaryVersion().isPresent() && pin.canarySize() > 0 && pins.running(pin.poolId()).isEmpty()) {
                pools.findById(pin.poolId()).ifPresent(pool -> fillCanary(pool, pin));
            }
        }
    }

    private void advance(Pool pool, Rollout r) {
        String to = r.to();
        ImageVersion target = images.findVersion(to).orElse(null);
        if (target == null) {
            end(pool, r, Rollout.State.FAILED, "its version is gone");
            return;
        }
        if (pool.kind() == PoolKind.PERSONAL) {
            finish(pool, r, target, "personal desktops keep their disks; desktops made from now on start "
                    + target.label());
            return;
        }
        List<Desktop> live = desktops.desktopsOfPool(pool.id());
        Map<String, String> versions = pins.desktopVersions(pool.id());
        Optional<String> canary = pins.pin(pool.id()).flatMap(PoolImageRepository.Pin::canaryVersion);
        for (Desktop d : live) {
            if (to.equals(versions.get(d.id())) && d.state() == DesktopState.FAILED) {
                String reason = "desktop " + d.name() + " failed on " + target.label()
                        + (d.stateReason() == null ? "" : ": " + d.stateReason());
                end(pool, r, Rollout.State.FAILED, reason);
                images.log(to, VersionLogEntry.Level.ERROR, "rollout to pool " + pool.name() + " stopped: " + reason);
                return;
            }
        }
        List<Desktop> toMove = live.stream().filter(d -> !to.equals(versions.get(d.id()))
                && !(canary.isPresent() && canary.get().equals(versions.get(d.id())))).toList();
        if (toMove.isEmpty() && live.stream().noneMatch(d -> MOVING.contains(d.state()))) {
            finish(pool, r, target, "every desktop runs " + target.label());
            return;
        }
        Instant now = clock.instant();
        Map<String, Instant> told = r.mode() == Rollout.Mode.FORCED ? pins.pendingLogoffs(r.id()) : Map.of();
        // users told earlier whose grace period is over are logged off (their desktop is then replaced)
        for (Map.Entry<String, Instant> e : told.entrySet()) {
            Desktop d = live.stream().filter(x -> x.id().equals(e.getKey())).findFirst().orElse(null);
            if (d == null || !d.state().isAssigned()) {
                pins.loggedOff(r.id(), e.getKey()); // logged off by themselves, or gone
            } else if (!now.isBefore(e.getValue())) {
                log.info("pool {}: logging {} off desktop {} for {}", pool.name(), d.assignedUser(), d.name(),
                        target.label());
                sessions.logOffByAdministrator(d.id());
                pins.loggedOff(r.id(), d.id());
            }
        }
        long inFlight = live.stream().filter(d -> to.equals(versions.get(d.id())) && MOVING.contains(d.state()))
                .count() + pins.pendingLogoffs(r.id()).size();
        long budget = r.batchSize() - inFlight;
        for (Desktop d : toMove) {
            if (budget <= 0) {
                break;
            }
            if (d.state() == DesktopState.READY && d.assignedUser() == null) {
                if (desktops.refreshIdle(d.id())) {
                    budget--;
                }
            } else if (r.mode() == Rollout.Mode.FORCED && d.state().isAssigned() && !told.containsKey(d.id())
                    && pins.logoffAt(r.id(), d.id()).isEmpty()) {
                Instant at = now.plus(r.grace());
                pins.notified(r.id(), d.id(), at);
                log.info("pool {}: {} on desktop {} is told: logged off at {} for {}", pool.name(), d.assignedUser(),
                        d.name(), at, target.label());
                budget--;
            }
        }
    }

    /** A canary without a rollout: idle desktops are replaced until enough run the canary version. */
    private void fillCanary(Pool pool, PoolImageRepository.Pin pin) {
        String canary = pin.canaryVersion().get();
        long on = pins.desktopVersions(pool.id()).values().stream().filter(canary::equals).count();
        if (on < pin.canarySize()) {
            rollouts.replaceIdle(pool, v -> !canary.equals(v), 1);
        }
    }

    private void finish(Pool pool, Rollout r, ImageVersion target, String message) {
        pins.pinVersion(pool.id(), target.id());
        end(pool, r, Rollout.State.DONE, message);
        images.log(target.id(), VersionLogEntry.Level.INFO, "rollout to pool " + pool.name() + " done: " + message);
        r.from().flatMap(images::findVersion).ifPresent(poolImages::supersedeIfUnused);
    }

    private void end(Pool pool, Rollout r, Rollout.State state, String message) {
        if (pins.end(r.id(), state, message)) {
            log.info("pool {}: rollout to {} {}: {}", pool.name(), r.to(), state, message);
            audit.recordAs(AuditLog.SYSTEM, null, "image.rollout.end", state == Rollout.State.DONE
                    ? AuditEvent.Outcome.SUCCESS : AuditEvent.Outcome.FAILURE, "pool", pool.id(),
                    Map.of("version", r.to(), "state", state.name(), "message", message));
        }
    }
}
