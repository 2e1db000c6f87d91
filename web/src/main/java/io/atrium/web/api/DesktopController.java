package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.session.SessionAdminService;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.TicketService;
import io.atrium.web.WebProperties;
import java.time.Instant;
import io.atrium.web.api.ApiModels.DesktopResponse;
import io.atrium.web.api.ApiModels.MyDesktopResponse;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/**
 * Desktops over REST. Administrators ({@link DesktopAdminService}, {@code ROLE_ADMIN}): one desktop, power actions,
 * delete, screenshot. Users ({@link DesktopService}, their own desktops only): {@code /api/me/...}. An action the
 * desktop's state does not allow is 409; a missing desktop (or a screenshot of a VM that does not run) is 404.
 */
@RestController
@RequestMapping("/api")
class DesktopController {
    /** The power and session actions of {@code POST /api/desktops/{id}/actions/{action}}. */
    enum Action { start, shutdown, reset, refresh, logoff, disconnect }

    private final DesktopAdminService admin;
    private final DesktopService desktops;
    private final SessionAdminService sessions;
    private final TicketService tickets;
    private final WebProperties web;

    DesktopController(DesktopAdminService admin, DesktopService desktops, SessionAdminService sessions,
                      TicketService tickets, WebProperties web) {
        this.admin = admin;
        this.desktops = desktops;
        this.sessions = sessions;
        this.tickets = tickets;
        this.web = web;
    }

    /**
     * A way into the caller's own desktop for any WebSocket VNC client (a standard noVNC page, another program).
     *
     * @param url       the full gateway URL with a fresh single-use ticket: open it within {@code expiresAt}
     * @param path      the same, relative to Atrium's origin
     * @param ticket    the ticket alone, for clients that build the URL themselves
     * @param expiresAt when the ticket stops working (at most {@code atrium.broker.ticket-ttl} from now)
     */
    record ConsoleResponse(String desktopId, String url, String path, String ticket, Instant expiresAt) {
        @Override
        public String toString() {
            return "ConsoleResponse[" + desktopId + ", expiresAt=" + expiresAt + "]";
        }
    }

    @GetMapping("/desktops/{desktopId}")
    DesktopResponse get(@PathVariable String desktopId) {
        return DesktopResponse.of(admin.desktop(desktopId));
    }

    /**
     * {@code start} (STOPPED or FAILED), {@code shutdown} (READY or FAILED; ACPI), {@code reset} (running),
     * {@code refresh} (READY pooled desktop: clean disk), {@code logoff} (end the user's session; 409 if it has none),
     * {@code disconnect} (close the user's viewer; the session stays). The session actions are
     * {@link SessionAdminService}'s, which closes the viewer with 4008 (the same as {@code /api/sessions}).
     */
    @PostMapping("/desktops/{desktopId}/actions/{action}")
    DesktopResponse action(@PathVariable String desktopId, @PathVariable Action action) {
        Desktop d = switch (action) {
            case start -> admin.start(desktopId);
            case shutdown -> admin.shutdown(desktopId);
            case reset -> admin.reset(desktopId);
            case refresh -> admin.refresh(desktopId);
            case logoff -> {
                Desktop target = admin.desktop(desktopId);
                sessions.logOffDesktop(target.id());
                yield admin.desktop(target.id());
            }
            case disconnect -> {
                Desktop target = admin.desktop(desktopId);
                sessions.disconnectDesktop(target.id());
                yield admin.desktop(target.id());
            }
        };
        return DesktopResponse.of(d);
    }

    /** Deletes the desktop (VM, disk); 409 while it is assigned unless {@code force=true}. */
    @DeleteMapping("/desktops/{desktopId}")
    ResponseEntity<Void> delete(@PathVariable String desktopId, @RequestParam(defaultValue = "false") boolean force) {
        admin.delete(desktopId, force);
        return ResponseEntity.noContent().build();
    }

    /** The desktop's screen as PNG (QMP screendump); 404 when its VM does not run. */
    @GetMapping("/desktops/{desktopId}/screenshot")
    ResponseEntity<byte[]> screenshot(@PathVariable String desktopId) {
        byte[] png = admin.screendump(desktopId)
                .orElseThrow(() -> BrokerException.notFound("A screen of desktop " + desktopId));
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).cacheControl(CacheControl.noStore()).body(png);
    }

    /** The caller's cards: one per entitled pool, with their desktop in it or how many are free. */
    @GetMapping("/me/desktops")
    List<MyDesktopResponse> myDesktops() {
        return desktops.myDesktops().stream().map(MyDesktopResponse::of).toList();
    }

    /**
     * A fresh console ticket for the caller's own desktop and the gateway URL to use it with (404 unknown, 403 not
     * theirs or no longer entitled, 503 not running). The gateway checks the WebSocket's {@code Origin} (the public
     * URL's by default) and, when the upgrade request is authenticated (a session or a bearer token), that it is
     * the ticket's user.
     */
    @PostMapping("/me/desktops/{desktopId}/console")
    ConsoleResponse console(@PathVariable String desktopId, jakarta.servlet.http.HttpServletRequest request) {
        ConsoleTicket t = tickets.issue(desktopId);
        String path = "/gateway/vnc?desktop=" + enc(t.desktopId()) + "&ticket=" + enc(t.value());
        String base = web.publicUrl().isEmpty()
                ? request.getScheme() + "://" + request.getServerName() + ":" + request.getServerPort()
                : web.publicUrl();
        String ws = base.replaceFirst("^http", "ws");
        return new ConsoleResponse(t.desktopId(), ws + path, path, t.value(), t.expiresAt());
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Opens (assigns) a desktop of the pool for the caller, or returns the one they have; 503 if none is free. */
    @PostMapping("/me/pools/{poolId}/open")
    DesktopResponse open(@PathVariable String poolId) {
        return DesktopResponse.of(desktops.open(poolId));
    }
}
