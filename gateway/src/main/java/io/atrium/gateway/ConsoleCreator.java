package io.atrium.gateway;

import java.io.IOException;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.eclipse.jetty.ee11.websocket.server.JettyServerUpgradeRequest;
import org.eclipse.jetty.ee11.websocket.server.JettyServerUpgradeResponse;
import org.eclipse.jetty.ee11.websocket.server.JettyWebSocketCreator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, during the HTTP upgrade, which endpoint a console connection attempt gets: a
 * {@link VncRelay} for a redeemed ticket, or a {@link RejectedConsole} that closes with the reason.
 * Redeems each attempt's ticket exactly once and never logs it.
 */
final class ConsoleCreator implements JettyWebSocketCreator {

    private static final Logger log = LoggerFactory.getLogger(ConsoleCreator.class);

    private final TicketRedeemer redeemer;
    private final GatewayConnections connections;
    private final ConsoleConnector connector;
    private final GatewaySettings settings;

    ConsoleCreator(TicketRedeemer redeemer, GatewayConnections connections, ConsoleConnector connector,
                   GatewaySettings settings) {
        this.redeemer = redeemer;
        this.connections = connections;
        this.connector = connector;
        this.settings = settings;
    }

    @Override
    public Object createWebSocket(JettyServerUpgradeRequest request, JettyServerUpgradeResponse response)
            throws IOException {
        String pathInfo = request.getHttpServletRequest().getPathInfo();
        if (pathInfo != null && !pathInfo.equals(GatewayServlet.ENDPOINT_PATH)) {
            response.sendError(404, "Not Found");
            return null;
        }
        String connectionId = UUID.randomUUID().toString();
        try {
            String origin = request.getOrigin();
            var http = request.getHttpServletRequest();
            String host = http.getHeader("Host");
            String requestOrigin = host == null ? null : http.getScheme() + "://" + host;
            if (!settings.isOriginAllowed(origin, requestOrigin)) {
                throw new GatewayException(GatewayStatus.FORBIDDEN, "origin not allowed");
            }
            ConsoleTarget target = redeem(connectionId, requestOf(request));
            log.debug("Console connection {}: ticket redeemed for desktop {} user {}",
                    connectionId, target.desktopId(), target.username());
            return new VncRelay(connectionId, target, connections, connector, settings);
        } catch (GatewayException e) {
            log.info("Console connection {} refused: {} ({}) \"{}\", origin {}, from {}", connectionId, e.status(),
                    e.closeCode(), e.reason(), request.getOrigin(), request.getRemoteSocketAddress());
            return new RejectedConsole(connectionId, e);
        }
    }

    private static TicketRequest requestOf(JettyServerUpgradeRequest request) throws GatewayException {
        List<String> values = request.getParameterMap().get(GatewayServlet.TICKET_PARAMETER);
        if (values == null || values.size() != 1 || values.getFirst() == null || values.getFirst().isBlank()) {
            throw new GatewayException(GatewayStatus.TICKET_INVALID);
        }
        List<String> desktop = request.getParameterMap().get(GatewayServlet.DESKTOP_PARAMETER);
        Optional<String> desktopId = desktop == null || desktop.isEmpty() || desktop.getFirst().isBlank()
                ? Optional.empty() : Optional.of(desktop.getFirst());
        Principal principal = request.getHttpServletRequest().getUserPrincipal();
        Optional<String> user = principal == null ? Optional.empty() : Optional.ofNullable(principal.getName());
        return new TicketRequest(values.getFirst(), desktopId, user);
    }

    /**
     * A copy of {@code failure} (class name, message, stack trace, causes) with every occurrence of
     * the ticket replaced, so a redeemer that puts the ticket into an exception message cannot leak
     * it into the log.
     */
    static Throwable redact(Throwable failure, String ticket) {
        return redact(failure, ticket, 0);
    }

    private static Throwable redact(Throwable failure, String ticket, int depth) {
        String message = failure.getClass().getName();
        if (failure.getMessage() != null) {
            message += ": " + failure.getMessage().replace(ticket, "[ticket]");
        }
        Throwable cause = failure.getCause() != null && failure.getCause() != failure && depth < 16
                ? redact(failure.getCause(), ticket, depth + 1) : null;
        RedactedException copy = new RedactedException(message, cause);
        copy.setStackTrace(failure.getStackTrace());
        return copy;
    }

    /** Carries a redacted failure into the log; its message starts with the original class name. */
    static final class RedactedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        RedactedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private ConsoleTarget redeem(String connectionId, TicketRequest request) throws GatewayException {
        String ticket = request.ticket();
        ConsoleTarget target;
        try {
            target = redeemer.redeem(request);
        } catch (GatewayException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error("Console connection {}: ticket redemption failed", connectionId, redact(e, ticket));
            throw new GatewayException(GatewayStatus.SERVER_ERROR);
        }
        if (target == null) {
            log.error("Console connection {}: ticket redeemer returned no target", connectionId);
            throw new GatewayException(GatewayStatus.SERVER_ERROR);
        }
        return target;
    }
}
