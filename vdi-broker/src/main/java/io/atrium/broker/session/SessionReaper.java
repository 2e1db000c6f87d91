package io.atrium.broker.session;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces the pools' session limits, every {@code atrium.broker.sessions.check-period} on one thread
 * ("session-reaper"):
 * <ul>
 *   <li>records input: the viewer's bytes from the browser grew since the last check;</li>
 *   <li>connected without input for the pool's {@code idleTimeout} → disconnected (4009), the desktop stays theirs;</li>
 *   <li>disconnected (or never connected) for longer than {@code disconnectGrace} → logged off;</li>
 *   <li>older than {@code maxSessionLength} → logged off (4010);</li>
 *   <li>the desktop is no longer the user's (VM failed, deleted) → the session ends.</li>
 * </ul>
 * It also heals the recorded connection state from the gateway's (after a restart no viewer is connected).
 */
@Component
class SessionReaper implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(SessionReaper.class);

    private final SessionService service;
    private final DesktopService desktops;
    private final PoolRepository pools;
    private final SessionProperties props;
    private final Clock clock;
    /** Bytes from the browser at the last check, per session (in memory: a restart just re-baselines). */
    private final Map<String, Long> lastBytes = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService executor;

    SessionReaper(SessionService service, DesktopService desktops, PoolRepository pools, SessionProperties props,
                  Clock clock) {
        this.service = service;
        this.desktops = desktops;
        this.pools = pools;
        this.props = props;
        this.clock = clock;
    }

    /** One pass over the active sessions. Called by the scheduler; tests call it directly. */
    synchronized void check() {
        Instant now = clock.instant();
        ConsoleConnections consoles = service.consoles();
        SessionRepository repo = service.repository();
        for (Session s : repo.findActive()) {
            try {
                check(s, now, consoles, repo);
            } catch (RuntimeException e) {
                log.warn("session {} on desktop {}: check failed: {}", s.id(), s.desktopName(), e.toString());
            }
        }
        lastBytes.keySet().removeIf(id -> repo.findById(id).map(x -> !x.isActive()).orElse(true));
    }

    private void check(Session s, Instant now, ConsoleConnections consoles, SessionRepository repo) {
        Optional<Desktop> desktop = desktops.find(s.desktopId());
        log.debug("check {} at {}: desktop {}", s, now, desktop);
        if (desktop.isEmpty() || !s.username().equals(desktop.get().assignedUser())
                || !desktop.get().state().isAssigned()) {
            if (desktop.isPresent() && desktop.get().state() == DesktopState.LOGGING_OFF) {
                return; // a log off in progress ends it
            }
            service.lost(s);
            lastBytes.remove(s.id());
            return;
        }
        Optional<Pool> pool = pools.findById(desktop.get().poolId());
        if (pool.isEmpty()) {
            return;
        }
        boolean connected = consoles.isConnected(s.desktopId());
        Instant lastInput = s.lastInputAt();
        if (connected) {
            long bytes = consoles.bytesFromBrowser(s.desktopId());
            Long before = lastBytes.put(s.id(), bytes);
            if (before != null && bytes > before) {
                repo.recordInput(s.id(), now);
                lastInput = now;
            }
            if (!s.isConnected()) {
                repo.markConnected(s.id(), now);
                s = repo.findById(s.id()).orElse(s);
            }
        } else {
            lastBytes.remove(s.id());
            if (s.isConnected()) {
                repo.markDisconnected(s.id(), now);
                s = repo.findById(s.id()).orElse(s);
            }
        }
        Pool p = pool.get();
        if (exceeded(s.startedAt(), p.maxSessionLength(), now)) {
            service.logOff(s, SessionEndReason.MAX_SESSION_LENGTH);
            return;
        }
        if (!connected) {
            Instant away = s.disconnectedAt() != null ? s.disconnectedAt() : s.connectedAt() == null ? s.startedAt() : now;
            if (exceeded(away, p.disconnectGrace(), now)) {
                service.logOff(s, SessionEndReason.DISCONNECT_GRACE);
            }
            return;
        }
        Instant active = latest(s.connectedAt(), lastInput);
        if (exceeded(active, p.idleTimeout(), now)) {
            service.disconnect(s, ConsoleConnections.CloseReason.IDLE);
            lastBytes.remove(s.id());
        }
    }

    private static boolean exceeded(Instant since, Duration limit, Instant now) {
        return since != null && limit != null && !limit.isZero() && !limit.isNegative()
                && Duration.between(since, now).compareTo(limit) >= 0;
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    @Override
    public void start() {
        Duration period = props.checkPeriod();
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("session-reaper").daemon(true).factory());
        executor = ex;
        if (!period.isZero() && !period.isNegative()) {
            ex.scheduleWithFixedDelay(() -> {
                try {
                    check();
                } catch (RuntimeException e) {
                    log.warn("session check failed: {}", e.toString());
                }
            }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService ex = executor;
        if (ex != null) {
            ex.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        ScheduledExecutorService ex = executor;
        return ex != null && !ex.isShutdown();
    }

    /** After the desktop provisioner (phase 0), so that re-adopted desktops are in place first; stops before it. */
    @Override
    public int getPhase() {
        return 100;
    }
}
