package io.atrium.broker.session;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.desktop.IllegalTransitionException;
import io.atrium.broker.pool.PoolRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.Optional;

/**
 * What administrators do with sessions: list them, force a disconnect, force a log off; by session or by desktop.
 * Every method needs {@code ROLE_ADMIN}. The viewer's close code is decided by {@link SessionService}: 4008 for both
 * actions. A missing session, desktop or pool is NOT_FOUND (404), an ended session ILLEGAL_STATE (409).
 */
@Service
@PreAuthorize("hasRole('ADMIN')")
public class SessionAdminService {
    private static final Logger log = LoggerFactory.getLogger(SessionAdminService.class);

    private final SessionService sessions;
    private final DesktopService desktops;
    private final PoolRepository pools;
    private final AuditLog audit;

    SessionAdminService(SessionService sessions, DesktopService desktops, PoolRepository pools, AuditLog audit) {
        this.sessions = sessions;
        this.desktops = desktops;
        this.pools = pools;
        this.audit = audit;
    }

    /** Active sessions first (oldest first), then the latest ended ones; at most {@code limit} (1–1000). */
    public List<Session> list(int limit) {
        return sessions.recent(Math.clamp(limit, 1, 1000));
    }

    /**
     * Sessions, active first (oldest first), then the latest ended ones; at most {@code limit} (1–1000).
     *
     * @param poolId only sessions on this pool's desktops, if given; NOT_FOUND if the pool does not exist
     * @param active only active ({@code true}) or only ended ({@code false}) sessions, if given
     */
    public List<Session> list(Optional<String> poolId, Optional<Boolean> active, int limit) {
        String pool = poolId.map(id -> pools.findById(id).orElseThrow(() -> BrokerException.notFound("Pool " + id)).id())
                .orElse(null);
        return sessions.list(pool, active.orElse(null), Math.clamp(limit, 1, 1000));
    }

    /** One session, active or ended; NOT_FOUND if there is none with this id. */
    public Session session(String sessionId) {
        return sessions.find(sessionId).orElseThrow(() -> BrokerException.notFound("Session " + sessionId));
    }

    /** Closes the session's viewer (4008); the user keeps the desktop and may reconnect. */
    public Session disconnect(String sessionId) {
        Session s = active(sessionId);
        log.info("administrator {} disconnects session {} of {}", CurrentUser.get().name(), s.id(), s.username());
        boolean closed = sessions.disconnect(s, ConsoleConnections.CloseReason.ADMIN);
        audit.record("session.disconnect", "session", s.id(), java.util.Map.of("user", s.username(),
                "desktop", String.valueOf(s.desktopName()), "viewerClosed", closed));
        return sessions.find(sessionId).orElseThrow();
    }

    /** Ends the session: viewer closed (4008), pooled desktop refreshed, personal desktop kept with its disk. */
    public Session logOff(String sessionId) {
        Session s = active(sessionId);
        log.info("administrator {} logs off session {} of {}", CurrentUser.get().name(), s.id(), s.username());
        if (!sessions.logOff(s, SessionEndReason.ADMIN_LOGOFF)) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Session " + sessionId + " has already ended");
        }
        audit.record("session.logoff", "session", s.id(), java.util.Map.of("user", s.username(),
                "desktop", String.valueOf(s.desktopName())));
        return sessions.find(sessionId).orElseThrow();
    }

    /**
     * Closes the viewer of a desktop (4008) and marks its active session disconnected; the user keeps the desktop.
     * A desktop without an active session has its viewer closed all the same.
     *
     * @return the desktop's active session, if it has one
     * @throws BrokerException NOT_FOUND if the desktop does not exist
     */
    public Optional<Session> disconnectDesktop(String desktopId) {
        Desktop d = liveDesktop(desktopId);
        Optional<Session> active = sessions.activeOn(d.id());
        if (active.isPresent()) {
            return Optional.of(disconnect(active.get().id()));
        }
        log.info("administrator {} disconnects the viewer of desktop {} (no session)", CurrentUser.get().name(), d.name());
        sessions.closeSessionless(d, ConsoleConnections.CloseReason.ADMIN);
        audit.record("session.disconnect", "desktop", d.id(), java.util.Map.of("desktop", d.name()));
        return Optional.empty();
    }

    /**
     * Logs the user of a desktop off, as {@link #logOff} does for its active session (viewer 4008, pooled desktop
     * refreshed, personal kept).
     *
     * @return the ended session, if the desktop had one
     * @throws BrokerException NOT_FOUND if the desktop does not exist; {@link IllegalTransitionException}
     *                         (ILLEGAL_STATE) if it has no user session to end
     */
    public Optional<Session> logOffDesktop(String desktopId) {
        Desktop d = liveDesktop(desktopId);
        Optional<Session> active = sessions.activeOn(d.id());
        if (active.isPresent()) {
            return Optional.of(logOff(active.get().id()));
        }
        if (!sessions.logOffSessionless(d, ConsoleConnections.CloseReason.ADMIN)) {
            throw new IllegalTransitionException(d.state(), DesktopState.LOGGING_OFF,
                    "Desktop " + d.name() + " has no user session to end (it is " + d.state() + ")");
        }
        log.info("administrator {} logged {} off desktop {} (no session)", CurrentUser.get().name(), d.assignedUser(),
                d.name());
        audit.record("session.logoff", "desktop", d.id(), java.util.Map.of("desktop", d.name(),
                "user", String.valueOf(d.assignedUser())));
        return Optional.empty();
    }

    private Desktop liveDesktop(String desktopId) {
        return desktops.find(desktopId).filter(SessionService::isLive)
                .orElseThrow(() -> BrokerException.notFound("Desktop " + desktopId));
    }

    private Session active(String sessionId) {
        Session s = session(sessionId);
        if (!s.isActive()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Session " + sessionId + " has already ended");
        }
        return s;
    }
}
