package io.atrium.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The embedding documented in the README, in Spring Boot's embedded Jetty: a
 * {@link ServletRegistrationBean} and nothing else Jetty-specific.
 */
class SpringBootEmbeddingTest {

    @TempDir
    Path tempDir;

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @EnableConfigurationProperties(GatewaySettings.class)
    static class EmbeddingApp {

        @Bean
        GatewayConnections gatewayConnections() {
            return new GatewayConnections();
        }

        @Bean
        FakeTicketRedeemer ticketRedeemer() {
            return new FakeTicketRedeemer();
        }

        @Bean
        ServletRegistrationBean<GatewayServlet> gatewayServlet(TicketRedeemer redeemer,
                GatewayConnections connections, GatewaySettings settings) {
            ServletRegistrationBean<GatewayServlet> registration =
                    new ServletRegistrationBean<>(new GatewayServlet(redeemer, connections, settings), "/gateway/*");
            registration.setName("atriumGateway");
            registration.setLoadOnStartup(1);
            return registration;
        }
    }

    @Test
    void relaysInsideSpringBootEmbeddedJetty() throws Exception {
        SpringApplication application = new SpringApplication(EmbeddingApp.class);
        application.setWebApplicationType(WebApplicationType.SERVLET);
        try (ConfigurableApplicationContext context = application.run("--server.port=0",
                "--atrium.gateway.idle-timeout=2m", "--atrium.gateway.allowed-origins=https://vdi.example.com");
             FakeVncServer vnc = new FakeVncServer(tempDir.resolve("boot.sock"), FakeVncServer.GREET_AND_ECHO)) {
            GatewaySettings settings = context.getBean(GatewaySettings.class);
            assertThat(settings.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
            assertThat(settings.maxFrameSize()).isEqualTo(GatewaySettings.DEFAULT_MAX_FRAME_SIZE);
            assertThat(settings.allowedOrigins()).containsExactly("https://vdi.example.com");

            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            FakeTicketRedeemer redeemer = context.getBean(FakeTicketRedeemer.class);
            GatewayConnections connections = context.getBean(GatewayConnections.class);
            WebSocketClient client = new WebSocketClient();
            client.start();
            try {
                ClientUpgradeRequest request = new ClientUpgradeRequest();
                request.setHeader("Origin", "https://vdi.example.com");
                TestViewer viewer = TestViewer.reading();
                String ticket = redeemer.issue("desk-boot", "alice", vnc.path());
                client.connect(viewer, URI.create("ws://localhost:" + port + "/gateway/vnc?ticket=" + ticket), request)
                        .get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> viewer.received.get() == FakeVncServer.GREETING.length);
                assertThat(viewer.data()).isEqualTo(FakeVncServer.GREETING);
                assertThat(connections.isConnected("desk-boot")).isTrue();

                connections.disconnect("desk-boot", GatewayStatus.ADMIN_DISCONNECT);
                assertThat(viewer.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new TestViewer.Closed(
                        4008, GatewayStatus.ADMIN_DISCONNECT.reason()));
            } finally {
                client.stop();
            }
        }
    }
}
