package io.atrium.gateway;

import java.util.Objects;

import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.websocket.server.JettyWebSocketServlet;
import org.eclipse.jetty.ee11.websocket.server.JettyWebSocketServletFactory;
import org.eclipse.jetty.ee11.websocket.server.config.JettyWebSocketServletContainerInitializer;

/**
 * The console WebSocket endpoint: {@code /gateway/vnc?ticket=<opaque>} when mapped to
 * {@code /gateway/*}.
 *
 * <p>For each upgrade request it checks the {@code Origin} (if {@link GatewaySettings#allowedOrigins()}
 * is configured), redeems the ticket exactly once through the {@link TicketRedeemer}, and relays the
 * WebSocket to the desktop's VNC server with a {@link VncRelay}, opening the target's {@link ConsoleEndpoint}
 * through the {@link ConsoleConnector} ({@link ConsoleConnectors#defaults()}: unix sockets only, unless another is
 * given). A refused connection is still
 * upgraded and then closed at once with the {@link GatewayStatus} close code and reason, so the
 * browser can show why. Requests for other paths below the mapping get HTTP 404; non-upgrade
 * requests get the default {@code HttpServlet} response.
 *
 * <h2>Embedding</h2>
 * The servlet context needs Jetty's WebSocket server container before the servlet initializes:
 * <ul>
 *   <li>Plain Jetty: call {@link #configureContainer(ServletContextHandler)} on the context before
 *       starting it, then {@code context.addServlet(new ServletHolder(servlet), "/gateway/*")}.</li>
 *   <li>Spring Boot 4.1 with {@code spring-boot-starter-jetty}: nothing extra; Boot's Jetty
 *       auto-configuration already installs the container. Register the servlet with a
 *       {@code ServletRegistrationBean} at {@code /gateway/*}.</li>
 * </ul>
 *
 * <p>The ticket is in the query string, so HTTP request logs must not record the query of this
 * path. The gateway itself never logs it.
 */
public class GatewayServlet extends JettyWebSocketServlet {

    private static final long serialVersionUID = 1L;

    /** Name of the query parameter carrying the console ticket. */
    public static final String TICKET_PARAMETER = "ticket";
    /** Optional query parameter naming the desktop the browser means to open; passed to the redeemer. */
    public static final String DESKTOP_PARAMETER = "desktop";
    /** Path of the console endpoint below the servlet mapping. */
    public static final String ENDPOINT_PATH = "/vnc";

    private final transient TicketRedeemer redeemer;
    private final transient GatewayConnections connections;
    private final transient ConsoleConnector connector;
    private final transient GatewaySettings settings;

    /**
     * A gateway that opens unix socket consoles ({@link ConsoleConnectors#defaults()}).
     *
     * @param redeemer redeems console tickets (the broker)
     * @param connections the registry of live connections, shared with the application
     * @param settings gateway settings
     */
    public GatewayServlet(TicketRedeemer redeemer, GatewayConnections connections, GatewaySettings settings) {
        this(redeemer, connections, settings, ConsoleConnectors.defaults());
    }

    /**
     * @param redeemer redeems console tickets (the broker)
     * @param connections the registry of live connections, shared with the application
     * @param settings gateway settings
     * @param connector opens the consoles the redeemer's targets point at, e.g. {@link ConsoleConnectors} by scheme
     */
    public GatewayServlet(TicketRedeemer redeemer, GatewayConnections connections, GatewaySettings settings,
                          ConsoleConnector connector) {
        this.redeemer = Objects.requireNonNull(redeemer, "redeemer");
        this.connections = Objects.requireNonNull(connections, "connections");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.connector = Objects.requireNonNull(connector, "connector");
    }

    @Override
    protected void configure(JettyWebSocketServletFactory factory) {
        factory.setIdleTimeout(settings.idleTimeout());
        factory.setMaxFrameSize(settings.maxFrameSize());
        factory.setAutoFragment(true);
        // Text frames are refused on their first fragment; keep any text aggregation tiny.
        factory.setMaxTextMessageSize(1024);
        factory.setCreator(new ConsoleCreator(redeemer, connections, connector, settings));
    }

    /**
     * Installs Jetty's WebSocket server container on a plain Jetty servlet context. Must be called
     * before the context starts. Not needed in Spring Boot with {@code spring-boot-starter-jetty},
     * whose auto-configuration installs the same container.
     *
     * @param context the servlet context the {@link GatewayServlet} is added to
     */
    public static void configureContainer(ServletContextHandler context) {
        JettyWebSocketServletContainerInitializer.configure(Objects.requireNonNull(context, "context"), null);
    }
}
