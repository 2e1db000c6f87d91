package io.atrium.web.console;

import io.atrium.broker.BrokerException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.web.WebProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.image.DraftConsoleTickets;
import io.atrium.broker.session.ConsoleConnections;
import io.atrium.broker.ticket.RedeemedTicket;
import io.atrium.broker.ticket.TicketService;
import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.broker.transfer.ClipboardAudit;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.gateway.ClipboardPolicy;
import io.atrium.gateway.ClipboardTransfer;
import io.atrium.gateway.ConsoleConnector;
import io.atrium.gateway.ConsoleConnectors;
import io.atrium.gateway.ConsoleTarget;
import io.atrium.gateway.GatewayConnections;
import io.atrium.gateway.GatewayException;
import io.atrium.gateway.GatewayListener;
import io.atrium.gateway.GatewayServlet;
import io.atrium.gateway.GatewaySettings;
import io.atrium.gateway.GatewayStatus;
import io.atrium.gateway.TicketRedeemer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Runs the gateway inside the web app at {@code /gateway/*}: tickets are redeemed by the
 * broker's {@link TicketService} (its console endpoint mapped to the gateway's value), viewer
 * connects/disconnects update the desktop's state, the gateway's clipboard transfers are audited
 * ({@link ClipboardAuditor}), the pool's clipboard policy goes to the gateway with each target, and the broker closes
 * viewers through {@link GatewayConsoleConnections}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewaySettings.class)
public class ConsoleGatewayConfig {

    @Bean(destroyMethod = "")
    GatewayConnections gatewayConnections(DesktopService desktops, ClipboardAuditor clipboard, AuditLog audit) {
        GatewayConnections connections = new GatewayConnections();
        connections.addListener(new GatewayListener() {
            @Override
            public void onClipboard(ConsoleTarget target, String connectionId, ClipboardTransfer transfer) {
                clipboard.report(target, transfer);
            }

            @Override
            public void onConnected(ConsoleTarget target, String connectionId) {
                if (!DraftConsoleTickets.isDraft(target.desktopId())) { // a draft machine is no desktop
                    desktops.viewerConnected(target.desktopId());
                }
                audit.recordAs(target.username(), null, "viewer.connect", AuditEvent.Outcome.SUCCESS, "desktop",
                        target.desktopId(), Map.of("connection", connectionId));
            }

            @Override
            public void onDisconnected(ConsoleTarget target, String connectionId, GatewayStatus why) {
                if (why != GatewayStatus.TAKEN_OVER && !DraftConsoleTickets.isDraft(target.desktopId())) {
                    desktops.viewerDisconnected(target.desktopId());
                }
                audit.recordAs(target.username(), null, "viewer.disconnect", AuditEvent.Outcome.SUCCESS, "desktop",
                        target.desktopId(), Map.of("connection", connectionId, "closeCode", why.closeCode(),
                                "reason", why.name()));
            }
        });
        return connections;
    }

    /**
     * The origins the gateway accepts: those configured ({@code atrium.gateway.allowed-origins}, e.g. another page
     * that embeds a viewer) plus the public URL's ({@code atrium.web.public-url}) or, without one, the request's own
     * origin, and requests without an Origin header (non-browser clients; a browser always sends one). So a page of
     * another site cannot open a console with a ticket it got hold of; {@code *} turns the check off.
     */
    static GatewaySettings withDefaultOrigins(GatewaySettings settings, WebProperties web) {
        if (settings.allowedOrigins().contains(GatewaySettings.ANY_ORIGIN)) {
            return settings;
        }
        List<String> origins = new ArrayList<>(settings.allowedOrigins());
        origins.add(web.publicOrigin().orElse(GatewaySettings.SAME_ORIGIN));
        origins.add(GatewaySettings.NO_ORIGIN);
        return settings.withAllowedOrigins(origins);
    }

    /** The broker's session service sees and closes viewers through this; it maps reasons to close codes. */
    @Bean
    ConsoleConnections consoleConnections(GatewayConnections connections) {
        return new GatewayConsoleConnections(connections);
    }

    /** Desktops' tickets, and the image library's for draft machines ({@code desktop=draft:<version>}). */
    @Bean
    TicketRedeemer ticketRedeemer(TicketService tickets, DraftConsoleTickets draftTickets) {
        return request -> {
            try {
                RedeemedTicket t = request.desktopId().filter(DraftConsoleTickets::isDraft).isPresent()
                        ? draftTickets.redeem(request.ticket(), request.desktopId().get(), request.user())
                        : tickets.redeem(request.ticket(), request.desktopId(), request.user());
                return new ConsoleTarget(t.desktopId(), t.username(), toGateway(t.console()),
                        clipboardOf(t.transfers()));
            } catch (BrokerException e) {
                throw new GatewayException(toGateway(e), e.getMessage());
            }
        };
    }

    /** How the gateway opens consoles: by the address's scheme, unix sockets of this machine today. */
    @Bean
    ConsoleConnector consoleConnector() {
        return ConsoleConnectors.defaults();
    }

    @Bean
    ServletRegistrationBean<GatewayServlet> gatewayServlet(TicketRedeemer redeemer, GatewayConnections connections,
                                                           GatewaySettings settings, ConsoleConnector connector,
                                                           WebProperties web) {
        var registration = new ServletRegistrationBean<>(new GatewayServlet(redeemer, connections,
                withDefaultOrigins(settings, web), connector),
                "/gateway/*");
        registration.setName("atriumGateway");
        registration.setLoadOnStartup(1);
        return registration;
    }

    /** The audit of the gateway's clipboard transfers, written off the relay's threads. */
    @Bean(destroyMethod = "close")
    ClipboardAuditor clipboardAuditor(ClipboardAudit audit) {
        return new ClipboardAuditor(audit);
    }

    /** The clipboard part of the pool's policy as the gateway's value. */
    static ClipboardPolicy clipboardOf(TransferPolicy policy) {
        return new ClipboardPolicy(policy.clipboard().browserToGuest(), policy.clipboard().guestToBrowser(),
                policy.clipboardMaxBytes());
    }

    /** The machine layer's console endpoint as the gateway's value (the gateway depends on neither). */
    static io.atrium.gateway.ConsoleEndpoint toGateway(ConsoleEndpoint endpoint) {
        return new io.atrium.gateway.ConsoleEndpoint(endpoint.hostId(), endpoint.address());
    }

    static GatewayStatus toGateway(BrokerException e) {
        return switch (e.status()) {
            case TICKET_INVALID -> GatewayStatus.TICKET_INVALID;
            case TICKET_USED -> GatewayStatus.TICKET_USED;
            case TICKET_EXPIRED -> GatewayStatus.TICKET_EXPIRED;
            case FORBIDDEN, UNAUTHENTICATED -> GatewayStatus.FORBIDDEN;
            case NOT_FOUND, DESKTOP_UNAVAILABLE -> GatewayStatus.DESKTOP_GONE;
            default -> GatewayStatus.SERVER_ERROR;
        };
    }
}
