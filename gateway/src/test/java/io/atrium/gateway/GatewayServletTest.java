package io.atrium.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.ee11.websocket.server.JettyWebSocketServerContainer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * End-to-end tests: real Jetty server on port 0 with {@link GatewayServlet}, real Jetty WebSocket
 * client, real unix domain sockets. Only the broker ({@link FakeTicketRedeemer}) and the VM
 * ({@link FakeVncServer}) are fakes.
 */
class GatewayServletTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    private final FakeTicketRedeemer redeemer = new FakeTicketRedeemer();
    private final GatewayConnections connections = new GatewayConnections();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<String> clipboard = new CopyOnWriteArrayList<>();
    private final List<FakeVncServer> vncServers = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Server server;
    private ServletContextHandler context;
    private WebSocketClient client;
    private int port;

    @BeforeEach
    void setUp() throws Exception {
        logs.start();
        ((Logger) LoggerFactory.getLogger("io.atrium")).addAppender(logs);
        connections.addListener(new GatewayListener() {
            @Override
            public void onConnected(ConsoleTarget target, String connectionId) {
                events.add("connected " + target.desktopId() + " " + connectionId);
            }

            @Override
            public void onDisconnected(ConsoleTarget target, String connectionId, GatewayStatus why) {
                events.add("disconnected " + target.desktopId() + " " + connectionId + " " + why);
            }

            @Override
            public void onClipboard(ConsoleTarget target, String connectionId, ClipboardTransfer transfer) {
                clipboard.add(target.desktopId() + " " + transfer);
            }
        });
        startServer(GatewaySettings.defaults());
        client = new WebSocketClient();
        client.start();
    }

    private void startServer(GatewaySettings settings) throws Exception {
        startServer(settings, ConsoleConnectors.defaults());
    }

    private void startServer(GatewaySettings settings, ConsoleConnector consoles) throws Exception {
        if (server != null) {
            server.stop();
        }
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setPort(0);
        server.addConnector(connector);
        context = new ServletContextHandler();
        context.setContextPath("/");
        GatewayServlet.configureContainer(context);
        context.addServlet(new ServletHolder(new GatewayServlet(redeemer, connections, settings, consoles)), "/gateway/*");
        server.setHandler(context);
        server.start();
        port = connector.getLocalPort();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            client.stop();
            server.stop();
            for (FakeVncServer vnc : vncServers) {
                vnc.close();
            }
        } finally {
            ((Logger) LoggerFactory.getLogger("io.atrium")).detachAppender(logs);
        }
        assertNoTicketInLogs();
    }

    // ------------------------------------------------------------------------------------ relaying

    @Test
    void relaysGreetingAndMultiMegabyteEchoInRandomChunks() throws Exception {
        FakeVncServer vnc = vnc("desk-1", FakeVncServer.GREET_AND_ECHO);
        String ticket = redeemer.issue("desk-1", "alice", vnc.path());
        TestViewer viewer = connect(ticket);

        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
        assertThat(viewer.data()).isEqualTo(FakeVncServer.GREETING);
        assertThat(connections.isConnected("desk-1")).isTrue();
        viewer.handshake();
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.PREFIX);

        // Megabytes of RFB messages in random chunks reach the VM intact; the fake VM answers every byte with a Bell.
        Random random = new Random(7);
        byte[] payload = RfbTestStreams.clientMessages(8 * 1024 * 1024 + 12345, random);
        viewer.sendInRandomChunks(payload, random, 150_000);

        long expected = FakeVncServer.PREFIX + (long) payload.length;
        await().atMost(TIMEOUT).until(() -> viewer.received.get() >= expected);
        byte[] data = viewer.data();
        assertThat(data).hasSize((int) expected);
        assertThat(Arrays.copyOfRange(data, 0, FakeVncServer.PREFIX))
                .isEqualTo(FakeVncServer.concat(FakeVncServer.GREETING, FakeVncServer.SERVER_HANDSHAKE));
        byte[] bells = new byte[payload.length];
        Arrays.fill(bells, FakeVncServer.BELL);
        assertThat(Arrays.copyOfRange(data, FakeVncServer.PREFIX, data.length)).isEqualTo(bells);
        await().atMost(TIMEOUT).until(() -> vnc.received().length == payload.length);
        assertThat(vnc.received()).isEqualTo(payload);

        ConnectionStats stats = connections.connection("desk-1").orElseThrow();
        assertThat(stats.bytesFromBrowser()).isEqualTo(FakeVncServer.CLIENT_HANDSHAKE.length + payload.length);
        assertThat(stats.bytesToBrowser()).isEqualTo(expected);
        assertThat(stats.target()).isEqualTo(new ConsoleTarget("desk-1", "alice", ConsoleEndpoint.unix("local", vnc.path())));
        assertThat(redeemer.redemptions(ticket)).isEqualTo(1);

        viewer.close();
        assertThat(viewer.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(1000);
        await().atMost(TIMEOUT).until(() -> vnc.peerClosed.get() == 1);
        await().atMost(TIMEOUT).until(() -> !connections.isConnected("desk-1"));
        awaitServerSessions(0);
        assertThat(events).containsExactly(
                "connected desk-1 " + stats.connectionId(),
                "disconnected desk-1 " + stats.connectionId() + " NORMAL");
    }

    @Test
    void slowBrowserStopsReadsFromVmAndResumesIntact() throws Exception {
        long total = 160L * 1024 * 1024;
        FakeVncServer vnc = vnc("desk-bp", FakeVncServer.flood(total));
        TestViewer viewer = new TestViewer(false, false);
        connect(redeemer.issue("desk-bp", "bob", vnc.path()), viewer);
        viewer.patternStartsAt(FakeVncServer.floodPrefix());
        viewer.handshake();

        // The viewer demands nothing: the VM side must stall at a bounded amount, not buffer everything.
        long stalled = awaitStable(vnc);
        long relayed = connections.connection("desk-bp").orElseThrow().bytesToBrowser();
        assertThat(stalled).isLessThan(64L * 1024 * 1024);
        assertThat(relayed).isLessThanOrEqualTo(stalled);
        assertThat(stalled - relayed).as("bytes buffered in the VNC socket").isLessThan(4L * 1024 * 1024);
        assertThat(viewer.received.get()).isZero();

        viewer.startReading();
        await().atMost(Duration.ofSeconds(60)).until(() -> viewer.received.get() == total + FakeVncServer.floodPrefix());
        assertThat(viewer.patternMismatchAt()).isEqualTo(-1);
        System.out.printf("back-pressure: VM side stalled after %d bytes written, %d read by the gateway%n", stalled, relayed);
        // The fake VM closes after the flood, which the browser sees as 4006 once all bytes are through.
        assertThat(viewer.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new TestViewer.Closed(4006,
                GatewayStatus.VM_CLOSED.reason()));
        awaitServerSessions(0);
    }

    @Test
    void pingIsAnsweredAndRelayingContinues() throws Exception {
        FakeVncServer vnc = vnc("desk-p", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-p", "alice", vnc.path()));
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
        viewer.handshake();
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.PREFIX);

        for (int i = 1; i <= 3; i++) {
            viewer.ping();
            int pongs = i;
            await().atMost(TIMEOUT).until(() -> viewer.pongs.get() == pongs);
        }
        byte[] hello = RfbTestStreams.keyEvent(true, 0x61);
        viewer.sendInRandomChunks(hello, new Random(3), 2);
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.PREFIX + hello.length);
    }

    @Test
    void idleConnectionIsClosedAndReportedAsIdleTimeout() throws Exception {
        startServer(GatewaySettings.defaults().withIdleTimeout(Duration.ofMillis(500)));
        FakeVncServer vnc = vnc("desk-i", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-i", "alice", vnc.path()));

        assertThat(viewer.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(1001);
        await().atMost(TIMEOUT).until(() -> events.size() == 2);
        assertThat(events.get(1)).endsWith(" IDLE_TIMEOUT");
        await().atMost(TIMEOUT).until(() -> vnc.peerClosed.get() == 1);
    }

    @Test
    void disconnectAllClosesEveryDesktop() throws Exception {
        FakeVncServer vnc = vnc("desk-a", FakeVncServer.GREET_AND_ECHO);
        TestViewer one = connect(redeemer.issue("desk-a1", "alice", vnc.path()));
        TestViewer two = connect(redeemer.issue("desk-a2", "bob", vnc.path()));
        await().atMost(TIMEOUT).until(() -> connections.size() == 2);
        assertThat(connections.connections()).extracting(stats -> stats.target().desktopId())
                .containsExactlyInAnyOrder("desk-a1", "desk-a2");

        assertThat(connections.disconnectAll(GatewayStatus.SHUTDOWN)).isEqualTo(2);
        assertClosed(one, GatewayStatus.SHUTDOWN);
        assertClosed(two, GatewayStatus.SHUTDOWN);
        assertThat(connections.size()).isZero();
        awaitServerSessions(0);
    }

    // ------------------------------------------------------------------------------------ the RFB check

    @Test
    void theClipboardPolicyIsEnforcedInTheStreamAndEveryTransferReported() throws Exception {
        FakeVncServer vnc = vnc("desk-cb", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-cb", "alice", ConsoleEndpoint.unix("local", vnc.path()),
                new ClipboardPolicy(true, false, 10)));
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
        viewer.handshake();
        // The viewer asks for Tight and the extended clipboard; text may not leave the desktop, so the VM is not
        // offered the extended clipboard. Short text goes in (as UTF-8), long text does not.
        byte[] encodings = ByteBuffer.allocate(12).put(new byte[] {2, 0, 0, 2}).putInt(7).putInt(0xC0A1E5CE).array();
        byte[] small = cutText("Grüße".getBytes(StandardCharsets.ISO_8859_1));
        byte[] large = cutText("far too long for the cap".getBytes(StandardCharsets.ISO_8859_1));
        byte[] key = RfbTestStreams.keyEvent(true, 'k');
        viewer.sendInRandomChunks(FakeVncServer.concat(encodings, small, large, key), new Random(9), 7);

        byte[] expected = FakeVncServer.concat(new byte[] {2, 0, 0, 1, 0, 0, 0, 7},
                cutText("Grüße".getBytes(StandardCharsets.UTF_8)), key);
        await().atMost(TIMEOUT).until(() -> vnc.received().length == expected.length);
        assertThat(vnc.received()).isEqualTo(expected);
        assertThat(clipboard).containsExactly(
                "desk-cb ClipboardTransfer[direction=GUEST_TO_BROWSER, bytes=-1, outcome=BLOCKED]",
                "desk-cb ClipboardTransfer[direction=BROWSER_TO_GUEST, bytes=5, outcome=RELAYED]",
                "desk-cb ClipboardTransfer[direction=BROWSER_TO_GUEST, bytes=24, outcome=DROPPED_OVER_CAP]");
        assertThat(viewer.closed).isNotDone();
    }

    @Test
    void aMessageTheGatewayDoesNotAcceptClosesWith4013AndNeverReachesTheVm() throws Exception {
        FakeVncServer vnc = vnc("desk-pv", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-pv", "alice", vnc.path()));
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
        viewer.handshake();
        viewer.send(FakeVncServer.concat(RfbTestStreams.keyEvent(true, 'a'), new byte[] {(byte) 250, 0, 1, 2}));
        assertClosed(viewer, GatewayStatus.PROTOCOL_VIOLATION);
        await().atMost(TIMEOUT).until(() -> vnc.peerClosed.get() == 1);
        assertThat(vnc.received()).isEmpty();
        assertThat(events.get(events.size() - 1)).endsWith(" PROTOCOL_VIOLATION");
        awaitServerSessions(0);
    }

    private static byte[] cutText(byte[] text) {
        return FakeVncServer.concat(ByteBuffer.allocate(8).put((byte) 6).put(new byte[3]).putInt(text.length).array(),
                text);
    }

    // ------------------------------------------------------------------------------------ failures

    @Test
    void madeUpTicketIsClosedWith4001() throws Exception {
        TestViewer viewer = connect(redeemer.madeUp());
        assertClosed(viewer, GatewayStatus.TICKET_INVALID);
        assertThat(redeemer.totalRedemptions()).isEqualTo(1);
        awaitServerSessions(0);
    }

    @Test
    void missingTicketIsClosedWith4001WithoutRedeeming() throws Exception {
        TestViewer viewer = TestViewer.reading();
        client.connect(viewer, URI.create("ws://localhost:" + port + "/gateway/vnc")).get(10, TimeUnit.SECONDS);
        assertClosed(viewer, GatewayStatus.TICKET_INVALID);
        assertThat(redeemer.totalRedemptions()).isZero();
    }

    @Test
    void usedTicketIsClosedWith4002() throws Exception {
        FakeVncServer vnc = vnc("desk-2", FakeVncServer.GREET_AND_ECHO);
        String ticket = redeemer.issue("desk-2", "alice", vnc.path());
        TestViewer first = connect(ticket);
        await().atMost(TIMEOUT).until(() -> first.received.get() == FakeVncServer.GREETING.length);

        TestViewer second = connect(ticket);
        assertClosed(second, GatewayStatus.TICKET_USED);
        assertThat(redeemer.redemptions(ticket)).isEqualTo(2);
        assertThat(first.closed).isNotDone();
    }

    @Test
    void expiredTicketIsClosedWith4003() throws Exception {
        assertClosed(connect(redeemer.issueFailing(GatewayStatus.TICKET_EXPIRED)), GatewayStatus.TICKET_EXPIRED);
    }

    @Test
    void ticketForAnotherUserIsClosedWith4004() throws Exception {
        assertClosed(connect(redeemer.issueFailing(GatewayStatus.FORBIDDEN)), GatewayStatus.FORBIDDEN);
    }

    @Test
    void disallowedOriginIsClosedWith4004WithoutRedeeming() throws Exception {
        startServer(GatewaySettings.defaults().withAllowedOrigins(List.of("https://vdi.example.com/")));
        FakeVncServer vnc = vnc("desk-o", FakeVncServer.GREET_AND_ECHO);
        String ticket = redeemer.issue("desk-o", "alice", vnc.path());

        TestViewer evil = connectFrom(ticket, "https://evil.example.net");
        TestViewer.Closed closed = evil.closed.get(10, TimeUnit.SECONDS);
        assertThat(closed).isEqualTo(new TestViewer.Closed(4004, "origin not allowed"));
        TestViewer noOrigin = connect(ticket, TestViewer.reading(), null);
        assertThat(noOrigin.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(4004);
        assertThat(redeemer.redemptions(ticket)).isZero();

        TestViewer good = connectFrom(ticket, "HTTPS://vdi.example.com");
        await().atMost(TIMEOUT).until(() -> good.received.get() == FakeVncServer.GREETING.length);
        assertThat(redeemer.redemptions(ticket)).isEqualTo(1);
    }

    @Test
    void sameOriginAllowsThePagesOwnOriginOnly() throws Exception {
        startServer(GatewaySettings.defaults().withAllowedOrigins(List.of(GatewaySettings.SAME_ORIGIN)));
        FakeVncServer vnc = vnc("desk-s", FakeVncServer.GREET_AND_ECHO);
        String ticket = redeemer.issue("desk-s", "alice", vnc.path());

        TestViewer otherPort = connectFrom(ticket, "http://localhost:" + (port + 1));
        assertThat(otherPort.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new TestViewer.Closed(4004, "origin not allowed"));
        assertThat(redeemer.redemptions(ticket)).isZero();

        TestViewer own = connectFrom(ticket, "http://localhost:" + port);
        await().atMost(TIMEOUT).until(() -> own.received.get() == FakeVncServer.GREETING.length);
        assertThat(redeemer.redemptions(ticket)).isEqualTo(1);
    }

    @Test
    void missingVncSocketIsClosedWith4005() throws Exception {
        Path missing = tempDir.resolve("no-such-vm.sock");
        TestViewer viewer = connect(redeemer.issue("desk-3", "alice", missing));
        assertClosed(viewer, GatewayStatus.DESKTOP_GONE);
        assertThat(connections.isConnected("desk-3")).isFalse();
        assertThat(events).isEmpty();
        awaitServerSessions(0);
    }

    @Test
    void consoleAddressWithAnUnknownSchemeIsClosedWith4005AndLogged() throws Exception {
        TestViewer viewer = connect(redeemer.issue("desk-tls", "alice",
                new ConsoleEndpoint("host-7", "tls:agent.example.net:5901/desk-tls")));
        assertClosed(viewer, GatewayStatus.DESKTOP_GONE);
        assertThat(connections.isConnected("desk-tls")).isFalse();
        assertThat(events).isEmpty();
        assertThat(logEvents()).anySatisfy(event -> {
            assertThat(event.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
            assertThat(event.getFormattedMessage()).contains("desk-tls", "host-7",
                    "no console connector for scheme 'tls'");
        });
        awaitServerSessions(0);
    }

    @Test
    void aCustomConnectorOpensTheConsoleAndTheRelayUsesItsChannel() throws Exception {
        // A transport of its own: "test:<name>" is the fake VM listening at <name>.sock, reached through a
        // channel the connector wraps, so the relay provably reads and writes what the connector returned.
        List<ConsoleEndpoint> opened = new CopyOnWriteArrayList<>();
        List<CountingChannel> channels = new CopyOnWriteArrayList<>();
        UnixSocketConnector unix = new UnixSocketConnector();
        ConsoleConnector test = endpoint -> {
            opened.add(endpoint);
            CountingChannel channel = new CountingChannel(unix.open(ConsoleEndpoint.unix(endpoint.hostId(),
                    tempDir.resolve(endpoint.schemeSpecificPart() + ".sock"))));
            channels.add(channel);
            return channel;
        };
        startServer(GatewaySettings.defaults(), ConsoleConnectors.defaults().with("test", test));
        FakeVncServer vnc = vnc("desk-c", FakeVncServer.GREET_AND_ECHO);
        ConsoleEndpoint endpoint = new ConsoleEndpoint("agent-1", "test:desk-c");
        TestViewer viewer = connect(redeemer.issue("desk-c", "alice", endpoint));

        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
        byte[] hello = FakeVncServer.concat(FakeVncServer.CLIENT_HANDSHAKE, RfbTestStreams.pointerEvent(1, 10, 20),
                RfbTestStreams.keyEvent(true, 0x41), RfbTestStreams.updateRequest(true, 1280, 800));
        viewer.sendInRandomChunks(hello, new Random(5), 5);
        long expected = FakeVncServer.PREFIX + hello.length - FakeVncServer.CLIENT_HANDSHAKE.length;
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == expected);
        assertThat(opened).containsExactly(endpoint);
        assertThat(channels.getFirst().written.get()).isEqualTo(hello.length);
        assertThat(channels.getFirst().read.get()).isEqualTo(expected);

        // Unix sockets still work next to it.
        TestViewer other = connect(redeemer.issue("desk-u", "bob", vnc.path()));
        await().atMost(TIMEOUT).until(() -> other.received.get() == FakeVncServer.GREETING.length);
        assertThat(opened).hasSize(1);

        viewer.close();
        await().atMost(TIMEOUT).until(() -> !channels.getFirst().isOpen());
    }

    @Test
    void aConnectorThatFailsUnexpectedlyIsClosedWith1011() throws Exception {
        startServer(GatewaySettings.defaults(), ConsoleConnectors.defaults()
                .with("broken", endpoint -> {
                    throw new IllegalStateException("connector bug");
                })
                .with("empty", endpoint -> null));
        assertClosed(connect(redeemer.issue("desk-b", "alice", new ConsoleEndpoint("h", "broken:x"))),
                GatewayStatus.SERVER_ERROR);
        assertClosed(connect(redeemer.issue("desk-e", "alice", new ConsoleEndpoint("h", "empty:x"))),
                GatewayStatus.SERVER_ERROR);
        assertThat(connections.size()).isZero();
        awaitServerSessions(0);
    }

    @Test
    void vncServerClosingIsClosedWith4006AfterTheGreeting() throws Exception {
        FakeVncServer vnc = vnc("desk-4", FakeVncServer.GREET_AND_CLOSE);
        TestViewer viewer = connect(redeemer.issue("desk-4", "alice", vnc.path()));
        assertClosed(viewer, GatewayStatus.VM_CLOSED);
        assertThat(viewer.data()).isEqualTo(FakeVncServer.GREETING);
        await().atMost(TIMEOUT).until(() -> events.size() == 2);
        assertThat(events.get(1)).startsWith("disconnected desk-4 ").endsWith(" VM_CLOSED");
        awaitServerSessions(0);
    }

    @Test
    void secondConnectionTakesOverAndFirstIsClosedWith4007() throws Exception {
        FakeVncServer vnc = vnc("desk-5", FakeVncServer.GREET_AND_ECHO);
        TestViewer first = connect(redeemer.issue("desk-5", "alice", vnc.path()));
        await().atMost(TIMEOUT).until(() -> first.received.get() == FakeVncServer.GREETING.length);
        String firstId = connections.connection("desk-5").orElseThrow().connectionId();

        TestViewer second = connect(redeemer.issue("desk-5", "alice", vnc.path()));
        assertClosed(first, GatewayStatus.TAKEN_OVER);
        await().atMost(TIMEOUT).until(() -> second.received.get() == FakeVncServer.GREETING.length);
        String secondId = connections.connection("desk-5").orElseThrow().connectionId();
        assertThat(secondId).isNotEqualTo(firstId);

        byte[] hello = FakeVncServer.concat(FakeVncServer.CLIENT_HANDSHAKE, RfbTestStreams.keyEvent(true, 0x53));
        second.sendInRandomChunks(hello, new Random(1), 4);
        long expected = FakeVncServer.PREFIX + hello.length - FakeVncServer.CLIENT_HANDSHAKE.length;
        await().atMost(TIMEOUT).until(() -> second.received.get() == expected);
        assertThat(second.closed).isNotDone();
        assertThat(events).containsExactly(
                "connected desk-5 " + firstId,
                "disconnected desk-5 " + firstId + " TAKEN_OVER",
                "connected desk-5 " + secondId);
        await().atMost(TIMEOUT).until(() -> vnc.peerClosed.get() == 1); // the first VNC connection was closed
        awaitServerSessions(1);
    }

    @Test
    void adminDisconnectIsClosedWith4008() throws Exception {
        FakeVncServer vnc = vnc("desk-6", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-6", "alice", vnc.path()));
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);

        assertThat(connections.disconnect("desk-6", GatewayStatus.ADMIN_DISCONNECT)).isTrue();
        assertThat(connections.isConnected("desk-6")).isFalse();
        assertClosed(viewer, GatewayStatus.ADMIN_DISCONNECT);
        assertThat(connections.disconnect("desk-6", GatewayStatus.ADMIN_DISCONNECT)).isFalse();
        await().atMost(TIMEOUT).until(() -> vnc.peerClosed.get() == 1);
        assertThat(events.get(events.size() - 1)).endsWith(" ADMIN_DISCONNECT");
        awaitServerSessions(0);
    }

    @Test
    void textFrameIsClosedWith1003() throws Exception {
        FakeVncServer vnc = vnc("desk-7", FakeVncServer.GREET_AND_ECHO);
        TestViewer viewer = connect(redeemer.issue("desk-7", "alice", vnc.path()));
        await().atMost(TIMEOUT).until(() -> viewer.received.get() == FakeVncServer.GREETING.length);

        viewer.sendText("hello");
        assertClosed(viewer, GatewayStatus.UNSUPPORTED_DATA);
        await().atMost(TIMEOUT).until(() -> !connections.isConnected("desk-7"));
        assertThat(vnc.bytesRead.get()).isZero();
        awaitServerSessions(0);
    }

    @Test
    void failingRedeemerIsClosedWith1011() throws Exception {
        redeemer.crash();
        assertClosed(connect(redeemer.madeUp()), GatewayStatus.SERVER_ERROR);
        // The redeemer put the ticket into its exception messages; the log shows them redacted.
        assertThat(logEvents()).anySatisfy(event -> assertThat(event.getThrowableProxy().getMessage())
                .contains("IllegalStateException: database down while looking up [ticket]"));
    }

    @Test
    void unknownPathIsNotUpgraded() {
        TestViewer viewer = TestViewer.reading();
        assertThatThrownBy(() -> client.connect(viewer,
                URI.create("ws://localhost:" + port + "/gateway/other?ticket=" + redeemer.madeUp()))
                .get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class);
        assertThat(redeemer.totalRedemptions()).isZero();
    }

    // ------------------------------------------------------------------------------------ helpers

    private FakeVncServer vnc(String name, FakeVncServer.Behaviour behaviour) throws Exception {
        FakeVncServer vnc = new FakeVncServer(tempDir.resolve(name + ".sock"), behaviour);
        vncServers.add(vnc);
        return vnc;
    }

    private TestViewer connect(String ticket) throws Exception {
        return connect(ticket, TestViewer.reading());
    }

    private TestViewer connect(String ticket, TestViewer viewer) throws Exception {
        return connect(ticket, viewer, null);
    }

    private TestViewer connectFrom(String ticket, String origin) throws Exception {
        return connect(ticket, TestViewer.reading(), origin);
    }

    private TestViewer connect(String ticket, TestViewer viewer, String origin) throws Exception {
        URI uri = URI.create("ws://localhost:" + port + "/gateway/vnc?ticket="
                + URLEncoder.encode(ticket, StandardCharsets.UTF_8));
        ClientUpgradeRequest request = new ClientUpgradeRequest();
        if (origin != null) {
            request.setHeader("Origin", origin);
        }
        client.connect(viewer, uri, request).get(10, TimeUnit.SECONDS);
        return viewer;
    }

    private static void assertClosed(TestViewer viewer, GatewayStatus status) throws Exception {
        assertThat(viewer.closed.get(10, TimeUnit.SECONDS))
                .isEqualTo(new TestViewer.Closed(status.closeCode(), status.reason()));
    }

    /** Waits until the server has exactly {@code count} open WebSocket sessions (close handshakes completed). */
    private void awaitServerSessions(int count) {
        JettyWebSocketServerContainer container = JettyWebSocketServerContainer.getContainer(context.getServletContext());
        await().atMost(TIMEOUT).until(() -> container.getOpenSessions().size() == count);
    }

    /** Waits until the fake VM's written byte count stops growing for a second; returns it. */
    private static long awaitStable(FakeVncServer vnc) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = vnc.bytesWritten.get();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (now > 0 && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(1)) {
                return now;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("VM side never stalled; wrote " + vnc.bytesWritten.get() + " bytes");
    }

    /** A copy of the captured log events, taken under the appender's lock (other threads keep logging). */
    private List<ILoggingEvent> logEvents() {
        synchronized (logs) {
            return List.copyOf(logs.list);
        }
    }

    private void assertNoTicketInLogs() {
        List<String> tickets = redeemer.issuedTickets();
        for (ILoggingEvent event : logEvents()) {
            StringBuilder text = new StringBuilder(event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                text.append(' ').append(t.getMessage());
            }
            for (String ticket : tickets) {
                assertThat(text.toString()).as("log event must not contain a ticket").doesNotContain(ticket);
            }
        }
    }

    /** Wraps a channel and counts the bytes through it. */
    private static final class CountingChannel implements java.nio.channels.ByteChannel {
        final java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        private final java.nio.channels.ByteChannel delegate;

        CountingChannel(java.nio.channels.ByteChannel delegate) {
            this.delegate = delegate;
        }

        @Override
        public int read(java.nio.ByteBuffer dst) throws java.io.IOException {
            int n = delegate.read(dst);
            if (n > 0) {
                read.addAndGet(n);
            }
            return n;
        }

        @Override
        public int write(java.nio.ByteBuffer src) throws java.io.IOException {
            int n = delegate.write(src);
            written.addAndGet(n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return delegate.isOpen();
        }

        @Override
        public void close() throws java.io.IOException {
            delegate.close();
        }
    }
}
