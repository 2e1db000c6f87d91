package io.atrium.web.console;

import io.atrium.broker.session.ConsoleConnections.CloseReason;
import io.atrium.gateway.ConsoleTarget;
import io.atrium.gateway.GatewayConnections;
import io.atrium.gateway.GatewayException;
import io.atrium.gateway.GatewayServlet;
import io.atrium.gateway.GatewaySettings;
import io.atrium.gateway.GatewayStatus;
import io.atrium.viewer.DesktopViewer;
import io.atrium.web.TestViewer;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker → gateway seam as the viewer sees it: a real gateway servlet in Jetty, a real WebSocket client, a fake
 * VNC server on a unix socket, and the web app's {@link GatewayConsoleConnections}. Each reason the broker's
 * {@code SessionService} gives for closing a viewer (which reason each path gets is {@code SessionTest}'s) arrives as
 * one close code and reason; the console endpoint reaches the gateway through {@link ConsoleGatewayConfig}'s mapping.
 */
class GatewayConsoleConnectionsTest {

    @TempDir Path dir;

    private final GatewayConnections connections = new GatewayConnections();
    private final GatewayConsoleConnections consoles = new GatewayConsoleConnections(connections);
    private final Map<String, ConsoleTarget> tickets = new ConcurrentHashMap<>();
    private Server server;
    private WebSocketClient client;
    private ServerSocketChannel vnc;
    private int port;

    @BeforeEach
    void start() throws Exception {
        vnc = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        vnc.bind(UnixDomainSocketAddress.of(dir.resolve("vnc.sock")));
        Thread.ofVirtual().start(this::serveVnc);

        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        GatewayServlet.configureContainer(context);
        context.addServlet(new ServletHolder(new GatewayServlet(request -> {
            ConsoleTarget target = tickets.remove(request.ticket());
            if (target == null) {
                throw new GatewayException(GatewayStatus.TICKET_INVALID);
            }
            return target;
        }, connections, GatewaySettings.defaults())), "/gateway/*");
        server.setHandler(context);
        server.start();
        port = connector.getLocalPort();
        client = new WebSocketClient();
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        server.stop();
        vnc.close();
    }

    /** A VNC server that greets and then reads until the gateway closes its side. */
    private void serveVnc() {
        try {
            while (vnc.isOpen()) {
                SocketChannel c = vnc.accept();
                Thread.ofVirtual().start(() -> {
                    try (c) {
                        c.write(ByteBuffer.wrap("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII)));
                        ByteBuffer sink = ByteBuffer.allocate(4096);
                        while (c.read(sink.clear()) >= 0) {
                            // discard
                        }
                    } catch (IOException e) {
                        // closed by the gateway
                    }
                });
            }
        } catch (IOException e) {
            // server closed
        }
    }

    private TestViewer viewerOf(String desktopId) throws Exception {
        String ticket = "t-" + desktopId;
        // The broker's value, mapped to the gateway's as the application does.
        tickets.put(ticket, new ConsoleTarget(desktopId, "alice", ConsoleGatewayConfig.toGateway(
                io.atrium.vmm.api.ConsoleEndpoint.unix("local", dir.resolve("vnc.sock").toString()))));
        TestViewer viewer = new TestViewer();
        client.connect(viewer, URI.create("ws://localhost:" + port + "/gateway/vnc?ticket=" + ticket))
                .get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> viewer.received.get() == 12);
        return viewer;
    }

    @ParameterizedTest(name = "{0} closes the viewer with {1}")
    @CsvSource({
            "IDLE, 4009, disconnected after inactivity",
            "ADMIN, 4008, disconnected by administrator",
            "SESSION_ENDED, 4010, session ended",
            "REVOKED, 4011, access to this desktop was revoked"})
    void eachBrokerReasonArrivesAsOneCloseCode(CloseReason why, int code, String reason) throws Exception {
        TestViewer viewer = viewerOf("desk-" + why);
        assertThat(consoles.isConnected("desk-" + why)).isTrue();
        assertThat(consoles.bytesFromBrowser("desk-" + why)).isZero();

        assertThat(consoles.disconnect("desk-" + why, why)).isTrue();
        assertThat(viewer.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new TestViewer.Closed(code, reason));
        assertThat(consoles.isConnected("desk-" + why)).isFalse();
        assertThat(consoles.bytesFromBrowser("desk-" + why)).isEqualTo(-1);
        assertThat(consoles.disconnect("desk-" + why, CloseReason.ADMIN)).as("nothing left to close").isFalse();
    }

    @Test
    void everyBrokerReasonHasAStatusTheViewerKnowsAndWillNotRetry() {
        for (CloseReason why : CloseReason.values()) {
            GatewayStatus status = GatewayConsoleConnections.statusFor(why);
            assertThat(CloseCodes.forViewer()).as(why.name())
                    .contains(new DesktopViewer.CloseCode(status.closeCode(), status.userMessage(), false));
        }
    }

    @Test
    void theViewerTableIsGatewayStatusEntryForEntry() {
        assertThat(CloseCodes.forViewer()).hasSize(GatewayStatus.values().length);
        assertThat(CloseCodes.forViewer()).containsExactlyElementsOf(Arrays.stream(GatewayStatus.values())
                .map(s -> new DesktopViewer.CloseCode(s.closeCode(), s.userMessage(), s.reconnectMayHelp())).toList());
        assertThat(CloseCodes.forViewer()).filteredOn(c -> c.code() == 4007)
                .containsExactly(new DesktopViewer.CloseCode(4007, "The desktop was opened in another window.", false));
    }
}
