package io.atrium.broker.session;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;

/** What administrators do with sessions: list them, force a disconnect, force a log off. */
@Service
@PreAuthorize("hasRole('ADMIN')")
public class SessionAdminService {
    private static final Logger log = LoggerFactory.getLogger(SessionAdminService.class);

    private final SessionService sessions;

    SessionAdminService(SessionService sessions) {
        this.sessions = sessions;
    }

    /** Active sessions first (oldest first), then the latest ended ones; at most {@code limit} (1–1000). */
    public List<Session> list(int limit) {
        return sessions.recent(Math.clamp(limit, 1, 1000));
    }

    /** Closes the session's viewer (4008); the user keeps the desktop and may reconnect. */
    public Session disconnect(String sessionId) {
        Session s = active(sessionId);
        log.info("administrator {} disconnects session {} of {}", CurrentUser.get().name(), s.id(), s.username());
        sessions.disconnect(s, ConsoleConnections.CloseReason.ADMIN);
        return sessions.find(sessionId).orElseThrow();
    }

    /** Ends the session: viewer closed (4008), pooled desktop refreshed, personal desktop kept with its disk. */
    public Session logOff(String sessionId) {
        Session s = active(sessionId);
        log.info("administrator {} logs off session {} of {}", CurrentUser.get().name(), s.id(), s.username());
        if (!sessions.logOff(s, SessionEndReason.ADMIN_LOGOFF, ConsoleConnections.CloseReason.ADMIN)) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Session " + sessionId + " has already ended");
        }
        return sessions.find(sessionId).orElseThrow();
    }

    private Session active(String sessionId) {
        Session s = sessions.find(sessionId).orElseThrow(() -> BrokerException.notFound("Session " + sessionId));
        if (!s.isActive()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Session " + sessionId + " has already ended");
        }
        return s;
    }
}
