package io.atrium.web.console;

import io.atrium.broker.session.ConsoleConnections;
import io.atrium.gateway.ConnectionStats;
import io.atrium.gateway.GatewayConnections;
import io.atrium.gateway.GatewayStatus;

import java.util.Objects;

/**
 * The broker's {@link ConsoleConnections} over the gateway's registry, and the one place where a broker reason
 * for closing a viewer becomes the gateway status (close code) the browser sees. Nothing else in the web app
 * closes viewers: the UI and the REST API ask the broker's services, which decide the reason
 * ({@code WebArchitectureTest} keeps it so).
 */
public final class GatewayConsoleConnections implements ConsoleConnections {
    private final GatewayConnections connections;

    public GatewayConsoleConnections(GatewayConnections connections) {
        this.connections = Objects.requireNonNull(connections, "connections");
    }

    /** The gateway status a viewer closed by the broker for {@code why} receives. */
    public static GatewayStatus statusFor(CloseReason why) {
        return switch (why) {
            case IDLE -> GatewayStatus.SESSION_IDLE;
            case ADMIN -> GatewayStatus.ADMIN_DISCONNECT;
            case SESSION_ENDED -> GatewayStatus.SESSION_ENDED;
            case REVOKED -> GatewayStatus.ACCESS_REVOKED;
            case LOGGED_OUT -> GatewayStatus.LOGGED_OUT;
        };
    }

    @Override
    public boolean isConnected(String desktopId) {
        return connections.isConnected(desktopId);
    }

    @Override
    public long bytesFromBrowser(String desktopId) {
        return connections.connection(desktopId).map(ConnectionStats::bytesFromBrowser).orElse(-1L);
    }

    @Override
    public boolean disconnect(String desktopId, CloseReason why) {
        return connections.disconnect(desktopId, statusFor(why));
    }
}
