package io.atrium.web.security;

import io.atrium.web.AtriumApplication;
import io.atrium.web.TestViewer;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The UI filter chain ({@link SecurityConfig.UiChain}) in the running application. Not a {@code @WebMvcTest} slice:
 * the chain is built by Vaadin's {@code VaadinSecurityConfigurer}, which needs Vaadin's servlet, its request
 * matchers and its auto-configuration, so the smallest honest context is the application itself on a random port
 * (demo pool off, in-memory H2, no VM started). Same properties as {@code PoolApiTest}, so the context is shared.
 */
@SpringBootTest(classes = AtriumApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "atrium.broker.demo.enabled=false",
                "atrium.broker.identity.demo-users=true",
                "atrium.data-dir=target/test-data",
                "atrium.vmm.data-dir=target/test-data/vmm",
                "spring.datasource.url=jdbc:h2:mem:web-api-test;DB_CLOSE_DELAY=-1",
                "atrium.vmm.gpu.inventory=none"
        })
class UiFilterChainTest {

    @LocalServerPort int port;

    private HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    }

    @Test
    void pagesRedirectToTheLoginViewWithoutLogin() throws Exception {
        HttpClient http = HttpClient.newHttpClient(); // does not follow redirects
        for (String page : new String[] {"/", "/admin/pools", "/desktop/some-id"}) {
            HttpResponse<String> r = send(http, at(page).GET());
            assertThat(r.statusCode()).as(page).isEqualTo(302);
            assertThat(r.headers().firstValue("Location")).as(page).hasValueSatisfying(
                    location -> assertThat(URI.create(location).getPath()).isEqualTo("/login"));
        }
        assertThat(send(http, at("/login").GET()).statusCode()).isEqualTo(200);
    }

    @Test
    void theConsoleWebSocketIsReachedWithoutLoginAndDecidedByItsTicket() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> plain = send(http, at("/gateway/vnc").GET());
        assertThat(plain.statusCode()).as("the gateway servlet answers, not the login redirect").isNotEqualTo(302);
        assertThat(plain.headers().firstValue("Location")).isEmpty();

        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            TestViewer viewer = new TestViewer();
            client.connect(viewer, URI.create("ws://localhost:" + port + "/gateway/vnc?ticket="
                    + URLEncoder.encode("made-up-ticket", StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
            assertThat(viewer.closed.get(10, TimeUnit.SECONDS).code()).as("upgraded, then refused by the ticket check")
                    .isEqualTo(4001);
        } finally {
            client.stop();
        }
    }

    @Test
    void aConsoleUpgradeFromAnotherSitesPageIsRefusedByItsOrigin() throws Exception {
        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            TestViewer viewer = new TestViewer();
            var upgrade = new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
            upgrade.setHeader("Origin", "http://evil.example");
            client.connect(viewer, URI.create("ws://localhost:" + port + "/gateway/vnc?ticket=made-up"), upgrade)
                    .get(10, TimeUnit.SECONDS);
            var closed = viewer.closed.get(10, TimeUnit.SECONDS);
            assertThat(closed.code()).isEqualTo(4004);
            assertThat(closed.reason()).isEqualTo("origin not allowed");
        } finally {
            client.stop();
        }
    }

    @org.springframework.beans.factory.annotation.Autowired io.atrium.broker.identity.UserAdminService users;
    @org.springframework.beans.factory.annotation.Autowired io.atrium.broker.identity.LoginGuard guard;

    @Test
    void aOneTimePasswordLoginIsNotALoginUntilThePasswordIsChanged() throws Exception {
        var auth = org.springframework.security.authentication.UsernamePasswordAuthenticationToken.authenticated("admin",
                null, java.util.List.of(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_ADMIN")));
        org.springframework.security.core.context.SecurityContextHolder.getContext().setAuthentication(auth);
        io.atrium.broker.identity.UserAdminService.WithPassword dave;
        try {
            dave = users.create(new io.atrium.broker.identity.UserAdminService.NewUser(
                    "dave-" + System.nanoTime(), null, false, java.util.List.of()));
        } finally {
            org.springframework.security.core.context.SecurityContextHolder.clearContext();
        }
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> login = send(http, at("/login").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=" + dave.account().username() + "&password="
                        + URLEncoder.encode(dave.oneTimePassword(), StandardCharsets.UTF_8))));
        assertThat(login.statusCode()).isEqualTo(302);
        assertThat(URI.create(login.headers().firstValue("Location").orElseThrow()).getPath()).isEqualTo("/login/continue");
        assertThat(send(http, at("/").GET()).statusCode()).as("not logged in yet").isEqualTo(302);
        assertThat(send(http, at("/login/continue").GET()).statusCode()).as("the next step is served").isEqualTo(200);
    }

    @Test
    void formLoginStartsASessionThatOpensThePages() throws Exception {
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        // failures of other tests from this address would back this one off: start from a clean guard
        guard.current().forEach(l -> guard.clear(l.key()));
        HttpResponse<String> wrong = send(http, at("/login").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=alice&password=nope")));
        assertThat(wrong.statusCode()).isEqualTo(302);
        assertThat(wrong.headers().firstValue("Location").orElseThrow()).contains("/login?error");
        assertThat(send(http, at("/").GET()).statusCode()).as("still not logged in").isEqualTo(302);

        HttpResponse<String> ok = send(http, at("/login").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=alice&password=alice")));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(302);
        assertThat(URI.create(ok.headers().firstValue("Location").orElseThrow()).getPath())
                .as(ok.headers().firstValue("Location").orElseThrow()).isEqualTo("/");
        HttpResponse<String> home = send(http, at("/").GET());
        assertThat(home.statusCode()).as("logged in: the page is served").isEqualTo(200);
    }
}
