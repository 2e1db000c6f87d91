package io.atrium.web.api;

import io.atrium.broker.session.SessionAdminService;
import io.atrium.web.api.ApiModels.SessionResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Optional;

/**
 * Sessions over REST, for administrators: the same {@link SessionAdminService} (hence {@code ROLE_ADMIN}) as the
 * pool page. Errors (see {@link ApiErrors}): unknown session or pool 404, an action on an ended session 409,
 * a malformed parameter 400.
 *
 * <ul>
 *   <li>{@code GET /api/sessions?pool=&active=&limit=}: active sessions first (oldest first), then the latest ended
 *       ones; {@code pool} a pool id, {@code active} {@code true}/{@code false}, {@code limit} 1–1000 (100)</li>
 *   <li>{@code GET /api/sessions/{id}}</li>
 *   <li>{@code POST /api/sessions/{id}/disconnect}: closes the viewer (4008); the session and desktop stay</li>
 *   <li>{@code POST /api/sessions/{id}/logoff}: ends the session (viewer 4008, pooled desktop refreshed)</li>
 * </ul>
 */
@RestController
@RequestMapping("/api/sessions")
class SessionController {
    private final SessionAdminService sessions;

    SessionController(SessionAdminService sessions) {
        this.sessions = sessions;
    }

    @GetMapping
    List<SessionResponse> list(@RequestParam Optional<String> pool, @RequestParam Optional<Boolean> active,
                               @RequestParam(defaultValue = "100") int limit) {
        return sessions.list(pool, active, limit).stream().map(SessionResponse::of).toList();
    }

    @GetMapping("/{sessionId}")
    SessionResponse get(@PathVariable String sessionId) {
        return SessionResponse.of(sessions.session(sessionId));
    }

    @PostMapping("/{sessionId}/disconnect")
    SessionResponse disconnect(@PathVariable String sessionId) {
        return SessionResponse.of(sessions.disconnect(sessionId));
    }

    @PostMapping("/{sessionId}/logoff")
    SessionResponse logOff(@PathVariable String sessionId) {
        return SessionResponse.of(sessions.logOff(sessionId));
    }
}
