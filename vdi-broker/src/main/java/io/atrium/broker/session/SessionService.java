package io.atrium.broker.session;

import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.desktop.DesktopUserEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Session bookkeeping, driven by {@link DesktopUserEvent}s: a session starts when a user opens (is assigned) a
 * desktop, follows its viewer's connects and disconnects, and ends at log off. Internal: no authorization checks
 * (administrators use {@link SessionAdminService}).
 *
 * <p>Invariant: this is the only class that closes viewers ({@link ConsoleConnections#disconnect}), and it decides
 * the reason on every path, so the close code a user sees never depends on who called first:
 * <table>
 *   <caption>Why a viewer is closed</caption>
 *   <tr><th>path</th><th>session</th><th>{@link ConsoleConnections.CloseReason}</th></tr>
 *   <tr><td>the user logs off ({@link DesktopService#logOff})</td><td>ended, USER_LOGOFF</td><td>SESSION_ENDED</td></tr>
 *   <tr><td>disconnect grace, maximum session length (reaper)</td><td>ended</td><td>SESSION_ENDED</td></tr>
 *   <tr><td>an administrator logs the session off</td><td>ended, ADMIN_LOGOFF</td><td>ADMIN</td></tr>
 *   <tr><td>access revoked ({@link #revokeAccess})</td><td>ended, ACCESS_REVOKED</td><td>REVOKED</td></tr>
 *   <tr><td>an administrator disconnects the viewer</td><td>stays active</td><td>ADMIN</td></tr>
 *   <tr><td>no input for the idle timeout (reaper)</td><td>stays active</td><td>IDLE</td></tr>
 *   <tr><td>the desktop is lost (VM failed, deleted)</td><td>ended, DESKTOP_LOST</td><td>none: the gateway reports
 *       the VM's own close</td></tr>
 * </table>
 * Once a session has ended, a later close of the same desktop is not attempted again with another reason, so the
 * first decision is what the viewer sees. A take-over by another window is the gateway's own (4007).
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

    /** How the viewer of a session that ends for {@code reason} is closed; empty: it is not closed by the broker. */
    static Optional<ConsoleConnections.CloseReason> closeReasonFor(SessionEndReason reason) {
        return switch (reason) {
            case USER_LOGOFF, DISCONNECT_GRACE, MAX_SESSION_LENGTH -> Optional.of(ConsoleConnections.CloseReason.SESSION_ENDED);
            case ADMIN_LOGOFF -> Optional.of(ConsoleConnections.CloseReason.ADMIN);
            case ACCESS_REVOKED -> Optional.of(ConsoleConnections.CloseReason.REVOKED);
            case DESKTOP_LOST -> Optional.empty();
        };
    }

    @EventListener
    void on(DesktopUserEvent event) {
        switch (event.kind()) {
            case OPENED -> ensureActive(event.desktopId(), event.username());
            case VIEWER_CONNECTED -> activeOn(event.desktopId())
                    .ifPresent(s -> sessions.markConnected(s.id(), clock.instant()));
            case VIEWER_DISCONNECTED -> activeOn(event.desktopId())
                    .ifPresent(s -> sessions.markDisconnected(s.id(), clock.instant()));
            // The desktop's session ended through DesktopService: the user's own log off, unless this service
            // ended the session first (then there is no active one left and the viewer was closed already).
            case LOGGED_OFF -> activeOn(event.desktopId()).ifPresent(s -> end(s, SessionEndReason.USER_LOGOFF));
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

    /**
     * Active sessions first (oldest first), then ended ones (latest first).
     *
     * @param poolId only this pool's; {@code null} for all
     * @param active only active ({@code true}) or ended ({@code false}) ones; {@code null} for both
     */
    public List<Session> list(String poolId, Boolean active, int limit) {
        return sessions.find(poolId, active, limit);
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

    /**
     * Closes the session's viewer; the desktop stays the user's, and the disconnect grace starts.
     *
     * @param why {@link ConsoleConnections.CloseReason#IDLE} or {@link ConsoleConnections.CloseReason#ADMIN}: the
     *            reasons that leave the session active
     * @return whether a live viewer was closed
     */
    boolean disconnect(Session s, ConsoleConnections.CloseReason why) {
        if (why != ConsoleConnections.CloseReason.IDLE && why != ConsoleConnections.CloseReason.ADMIN) {
            throw new IllegalArgumentException("a disconnect keeps the session; " + why + " ends it");
        }
        boolean closed = closeViewer(s.desktopId(), why);
        sessions.markDisconnected(s.id(), clock.instant());
        log.info("session {} of {} on desktop {} disconnected ({})", s.id(), s.username(), s.desktopName(), why);
        return closed;
    }

    /**
     * Logs the session off: ends it, closes its viewer as {@link #closeReasonFor(SessionEndReason)} says and ends
     * the desktop's session like a user log off (pooled: refreshed; personal: stays assigned, disk kept).
     *
     * @return false if the session was no longer active
     */
    boolean logOff(Session s, SessionEndReason reason) {
        if (!end(s, reason)) {
            return false;
        }
        desktops.find(s.desktopId()).filter(d -> s.username().equals(d.assignedUser()))
                .ifPresent(d -> desktops.endSession(d.id()));
        return true;
    }

    /**
     * Withdraws a user's access to the desktops of a pool, e.g. when their entitlement to it was removed: every
     * active session of {@code username} on a desktop of the pool ends ({@link SessionEndReason#ACCESS_REVOKED}),
     * its viewer is closed with {@link ConsoleConnections.CloseReason#REVOKED}, and the desktop's session ends as at
     * log off (pooled: refreshed; personal: stays assigned with its disk; whether to unassign it is the caller's
     * decision). Internal: the caller (the entitlement change) checks authorization.
     *
     * @return the sessions that were ended
     */
    public List<Session> revokeAccess(String poolId, String username) {
        Objects.requireNonNull(poolId, "poolId");
        Objects.requireNonNull(username, "username");
        List<Session> revoked = new ArrayList<>();
        for (Session s : sessions.find(poolId, true, Integer.MAX_VALUE)) {
            if (s.username().equals(username) && logOff(s, SessionEndReason.ACCESS_REVOKED)) {
                revoked.add(sessions.findById(s.id()).orElse(s));
            }
        }
        return revoked;
    }

    /**
     * The user logged out of Atrium: the viewers of their active sessions are closed
     * ({@link ConsoleConnections.CloseReason#LOGGED_OUT}); the sessions stay active and the desktops theirs (the
     * disconnect grace starts), as after closing the tab.
     *
     * @return how many viewers were closed
     */
    public int closeViewersOf(String username) {
        int closed = 0;
        for (Session s : sessions.find(null, true, Integer.MAX_VALUE)) {
            if (s.username().equals(username) && closeViewer(s.desktopId(), ConsoleConnections.CloseReason.LOGGED_OUT)) {
                sessions.markDisconnected(s.id(), clock.instant());
                closed++;
            }
        }
        if (closed > 0) {
            log.info("{} logged out: {} viewer(s) closed", username, closed);
        }
        return closed;
    }

    /**
     * Closes the viewer of a desktop that has no active session (nothing to end): an administrator's disconnect or
     * log off of a desktop assigned before sessions were recorded.
     */
    boolean closeSessionless(Desktop d, ConsoleConnections.CloseReason why) {
        return closeViewer(d.id(), why);
    }

    /**
     * Ends the user's session on an assigned desktop that has no active session record (see
     * {@link #closeSessionless}): viewer closed with {@code why}, desktop logged off.
     *
     * @return false if the desktop was not assigned
     */
    boolean logOffSessionless(Desktop d, ConsoleConnections.CloseReason why) {
        if (!d.state().isAssigned()) {
            return false;
        }
        closeViewer(d.id(), why);
        return desktops.endSession(d.id());
    }

    /** Ends a session whose desktop is no longer the user's (VM failed, desktop deleted or refreshed). */
    boolean lost(Session s) {
        if (sessions.end(s.id(), SessionEndReason.DESKTOP_LOST, clock.instant())) {
            log.info("session {} of {} on desktop {} ended: the desktop is gone", s.id(), s.username(), s.desktopName());
            return true;
        }
        return false;
    }

    /** Ends the session (once) and closes its viewer for that reason; false if it had ended already. */
    private boolean end(Session s, SessionEndReason reason) {
        if (!sessions.end(s.id(), reason, clock.instant())) {
            return false;
        }
        log.info("session {} of {} on desktop {} ended: {}", s.id(), s.username(), s.desktopName(), reason);
        closeReasonFor(reason).ifPresent(why -> closeViewer(s.desktopId(), why));
        return true;
    }

    /** The one place the broker closes a viewer. */
    private boolean closeViewer(String desktopId, ConsoleConnections.CloseReason why) {
        return consoles().disconnect(desktopId, why);
    }

    SessionRepository repository() {
        return sessions;
    }

    /** Whether the desktop is live (not deleted). */
    static boolean isLive(Desktop d) {
        return d.state() != DesktopState.DELETED;
    }
}
