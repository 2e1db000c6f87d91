package io.atrium.broker.session;

import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopUserEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Session bookkeeping, driven by {@link DesktopUserEvent}s: a session starts when a user opens (is assigned) a
 * desktop, follows its viewer's connects and disconnects, and ends at log off. Internal: no authorization checks
 * (administrators use {@link SessionAdminService}).
 */
@Service
public class SessionService {
    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    private final SessionRepository sessions;
    private final DesktopService desktops;
    private final ObjectProvider<ConsoleConnections> consoles;
    private final Clock clock;

    SessionService(SessionRepository sessions, DesktopService desktops, ObjectProvider<ConsoleConnections> consoles,
                   Clock clock) {
        this.sessions = sessions;
        this.desktops = desktops;
        this.consoles = consoles;
        this.clock = clock;
    }

    ConsoleConnections consoles() {
        return consoles.getIfAvailable(() -> ConsoleConnections.NONE);
    }

    @EventListener
    void on(DesktopUserEvent event) {
        switch (event.kind()) {
            case OPENED -> ensureActive(event.desktopId(), event.username());
            case VIEWER_CONNECTED -> activeOn(event.desktopId())
                    .ifPresent(s -> sessions.markConnected(s.id(), clock.instant()));
            case VIEWER_DISCONNECTED -> activeOn(event.desktopId())
                    .ifPresent(s -> sessions.markDisconnected(s.id(), clock.instant()));
            case LOGGED_OFF -> activeOn(event.desktopId()).ifPresent(s -> {
                if (sessions.end(s.id(), SessionEndReason.USER_LOGOFF, clock.instant())) {
                    log.info("session {} of {} on desktop {} ended: {}", s.id(), s.username(), s.desktopName(),
                            SessionEndReason.USER_LOGOFF);
                }
                consoles().disconnect(s.desktopId(), ConsoleConnections.CloseReason.SESSION_ENDED);
            });
        }
    }

    /** The active session on a desktop, if any. */
    public Optional<Session> activeOn(String desktopId) {
        return sessions.findActiveByDesktop(desktopId);
    }

    public Optional<Session> find(String sessionId) {
        return sessions.findById(sessionId);
    }

    /** Active sessions first, then recently ended ones. */
    public List<Session> recent(int limit) {
        return sessions.findRecent(limit);
    }

    /** Starts a session for {@code user} on the desktop unless one is active; ends another user's stale one. */
    Session ensureActive(String desktopId, String user) {
        Optional<Session> active = sessions.findActiveByDesktop(desktopId);
        if (active.isPresent() && active.get().username().equals(user)) {
            return active.get();
        }
        active.ifPresent(stale -> sessions.end(stale.id(), SessionEndReason.DESKTOP_LOST, clock.instant()));
        String id = UUID.randomUUID().toString();
        sessions.insert(id, desktopId, user, clock.instant());
        if (consoles().isConnected(desktopId)) {
            sessions.markConnected(id, clock.instant());
        }
        log.info("session {} of {} started on desktop {}", id, user, desktopId);
        return sessions.findById(id).orElseThrow();
    }

    /** Closes the session's viewer; the desktop stays the user's, and the disconnect grace starts. */
    boolean disconnect(Session s, ConsoleConnections.CloseReason why) {
        boolean closed = consoles().disconnect(s.desktopId(), why);
        sessions.markDisconnected(s.id(), clock.instant());
        log.info("session {} of {} on desktop {} disconnected ({})", s.id(), s.username(), s.desktopName(), why);
        return closed;
    }

    /**
     * Logs the session off: ends it, closes its viewer and ends the desktop's session like a user log off (pooled:
     * refreshed; personal: stays assigned, disk kept).
     *
     * @return false if the session was no longer active
     */
    boolean logOff(Session s, SessionEndReason reason, ConsoleConnections.CloseReason why) {
        if (!sessions.end(s.id(), reason, clock.instant())) {
            return false;
        }
        log.info("session {} of {} on desktop {} logged off: {}", s.id(), s.username(), s.desktopName(), reason);
        consoles().disconnect(s.desktopId(), why);
        desktops.find(s.desktopId()).filter(d -> s.username().equals(d.assignedUser()))
                .ifPresent(d -> desktops.endSession(d.id()));
        return true;
    }

    /** Ends a session whose desktop is no longer the user's (VM failed, desktop deleted or refreshed). */
    boolean lost(Session s) {
        if (sessions.end(s.id(), SessionEndReason.DESKTOP_LOST, clock.instant())) {
            log.info("session {} of {} on desktop {} ended: the desktop is gone", s.id(), s.username(), s.desktopName());
            return true;
        }
        return false;
    }

    SessionRepository repository() {
        return sessions;
    }
}
