package io.atrium.gateway;

import java.util.Objects;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoint for a refused console connection: the upgrade is accepted and the socket is closed at
 * once with the failure's close code and reason, because browsers cannot read the HTTP status of a
 * failed WebSocket upgrade but do see the close code and reason. Auto-demanding, so anything the
 * browser sends before its close reply is discarded. Public only because Jetty requires public
 * endpoint classes.
 */
public final class RejectedConsole implements Session.Listener.AutoDemanding {

    private static final Logger log = LoggerFactory.getLogger(RejectedConsole.class);

    private final String connectionId;
    private final GatewayException failure;

    RejectedConsole(String connectionId, GatewayException failure) {
        this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    @Override
    public void onWebSocketOpen(Session session) {
        GatewayStatus status = failure.status();
        if (status.isTransmittable()) {
            session.close(status.closeCode(), failure.reason(), Callback.from(() -> { },
                    x -> log.debug("Console connection {}: close frame not sent", connectionId, x)));
        } else {
            session.disconnect();
        }
    }

    /** The failure this endpoint reports. */
    GatewayException failure() {
        return failure;
    }
}
