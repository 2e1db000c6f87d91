package io.atrium.web.console;

import io.atrium.broker.BrokerException;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.session.ConsoleConnections;
import io.atrium.broker.ticket.RedeemedTicket;
import io.atrium.broker.ticket.TicketService;
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
 * broker's {@link TicketService}, and viewer connects/disconnects update the desktop's state.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatewaySettings.class)
public class ConsoleGatewayConfig {

    @Bean(destroyMethod = "")
    GatewayConnections gatewayConnections(DesktopService desktops) {
        GatewayConnections connections = new GatewayConnections();
        connections.addListener(new GatewayListener() {
            @Override
            public void onConnected(ConsoleTarget target, String connectionId) {
                desktops.viewerConnected(target.desktopId());
            }

            @Override
            public void onDisconnected(ConsoleTarget target, String connectionId, GatewayStatus why) {
                if (why != GatewayStatus.TAKEN_OVER) {
                    desktops.viewerDisconnected(target.desktopId());
                }
            }
        });
        return connections;
    }

    /** The broker's session reaper and admin actions see and close viewers through this. */
    @Bean
    ConsoleConnections consoleConnections(GatewayConnections connections) {
        return new ConsoleConnections() {
            @Override
            public boolean isConnected(String desktopId) {
                return connections.isConnected(desktopId);
            }

            @Override
            public long bytesFromBrowser(String desktopId) {
                return connections.connection(desktopId).map(c -> c.bytesFromBrowser()).orElse(-1L);
            }

            @Override
            public boolean disconnect(String desktopId, CloseReason why) {
                return connections.disconnect(desktopId, switch (why) {
                    case IDLE -> GatewayStatus.SESSION_IDLE;
                    case ADMIN -> GatewayStatus.ADMIN_DISCONNECT;
                    case SESSION_ENDED -> GatewayStatus.SESSION_ENDED;
                });
            }
        };
    }

    @Bean
    TicketRedeemer ticketRedeemer(TicketService tickets) {
        return request -> {
            try {
                RedeemedTicket t = tickets.redeem(request.ticket(), request.desktopId(), request.user());
                return new ConsoleTarget(t.desktopId(), t.username(), unixSocket(t.console()));
            } catch (BrokerException e) {
                throw new GatewayException(toGateway(e), e.getMessage());
            }
        };
    }

    @Bean
    ServletRegistrationBean<GatewayServlet> gatewayServlet(TicketRedeemer redeemer, GatewayConnections connections,
                                                           GatewaySettings settings) {
        var registration = new ServletRegistrationBean<>(new GatewayServlet(redeemer, connections, settings), "/gateway/*");
        registration.setName("atriumGateway");
        registration.setLoadOnStartup(1);
        return registration;
    }

    /** The relay opens unix sockets on this machine only (yet): the path of a {@code unix:} endpoint. */
    static java.nio.file.Path unixSocket(io.atrium.vmm.api.ConsoleEndpoint console) throws GatewayException {
        if (!console.address().startsWith(io.atrium.vmm.api.ConsoleEndpoint.UNIX)) {
            throw new GatewayException(GatewayStatus.SERVER_ERROR, "unsupported console address");
        }
        return java.nio.file.Path.of(console.address().substring(io.atrium.vmm.api.ConsoleEndpoint.UNIX.length()));
    }

    static GatewayStatus toGateway(BrokerException e) {
        return switch (e.status()) {
            case TICKET_INVALID -> GatewayStatus.TICKET_INVALID;
            case TICKET_USED -> GatewayStatus.TICKET_USED;
            case TICKET_EXPIRED -> GatewayStatus.TICKET_EXPIRED;
            case FORBIDDEN -> GatewayStatus.FORBIDDEN;
            case NOT_FOUND, DESKTOP_UNAVAILABLE -> GatewayStatus.DESKTOP_GONE;
            default -> GatewayStatus.SERVER_ERROR;
        };
    }
}
