package io.atrium.e2e;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.sun.net.httpserver.HttpServer;
import io.atrium.e2e.pages.LoginPage;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Another client than Atrium's viewer: noVNC's own {@code vnc_lite.html} (Debian's {@code novnc}), served from
 * another port on loopback, opens the user's desktop with a ticket from {@code POST /api/me/desktops/{id}/console},
 * and is refused with another user's ticket (the browser is logged in as the first user, so the gateway knows who
 * asks). A native client authenticated with an API token is held to the same rule.
 */
class PlainNoVncE2ETest {
    static final Path NOVNC = Path.of(System.getenv().getOrDefault("ATRIUM_NOVNC_DIR", "/usr/share/novnc"));

    static AtriumServer server;
    static Browser browser;
    static HttpServer pages;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        if (!Files.isRegularFile(NOVNC.resolve("vnc_lite.html"))) {
            throw new IllegalStateException("noVNC's pages are not at " + NOVNC + ": apt-get install novnc "
                    + "(the test command .ci/test does this)");
        }
        server = AtriumServer.shared();
        browser = new Browser();
        pages = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.otherPort()), 0);
        pages.createContext("/", exchange -> {
            Path file = NOVNC.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(NOVNC) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            String name = file.getFileName().toString();
            exchange.getResponseHeaders().set("Content-Type", name.endsWith(".html") ? "text/html"
                    : name.endsWith(".js") ? "text/javascript" : name.endsWith(".css") ? "text/css" : "application/octet-stream");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        pages.start();
    }

    @AfterAll
    static void stop() {
        if (pages != null) {
            pages.stop(0);
        }
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void aPlainNoVncPageOpensTheDesktopWithATicketFromTheConsoleApiAndNotWithAnotherUsersTicket() throws Exception {
        BrowserContext ctx = browser.browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setViewportSize(1280, 900));
        Page page = ctx.newPage();
        page.setDefaultTimeout(60_000);
        LoginPage.logIn(page, server.baseUrl(), "alice", "alice");
        // the ticket lives seconds (5 s on the test server): take it just before use
        Map<String, Object> alices = console("alice");
        assertThat((String) alices.get("url")).startsWith("ws://localhost:" + server.port() + "/gateway/vnc?desktop=");
        assertThat(Instant.parse((String) alices.get("expiresAt"))).isAfter(Instant.now());
        List<String> console = new java.util.concurrent.CopyOnWriteArrayList<>();
        page.onConsoleMessage(m -> console.add(m.type() + ": " + m.text()));
        page.navigate(noVncPage((String) alices.get("path")));
        try {
            page.waitForCondition(() -> page.locator("#status").innerText().startsWith("Connected to"),
                    new Page.WaitForConditionOptions().setTimeout(30_000));
        } catch (RuntimeException e) {
            page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "screenshots",
                    "FAILED-plain-novnc.png").toAbsolutePath()));
            throw new AssertionError("noVNC page at " + page.url() + " says '" + page.locator("#status").innerText()
                    + "'; console: " + console, e);
        }
        page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "screenshots",
                "15-plain-novnc-page.png").toAbsolutePath()));

        // Bob's ticket in Alice's browser: refused (4004), nothing of his screen arrives
        Map<String, Object> bobs = console("bob");
        Page other = ctx.newPage();
        other.navigate(server.otherOrigin() + "/vnc_lite.html#no-connect");
        @SuppressWarnings("unchecked")
        Map<String, Object> refused = (Map<String, Object>) other.evaluate("""
                (url) => new Promise((resolve) => {
                  const ws = new WebSocket(url);
                  ws.binaryType = 'arraybuffer';
                  let bytes = 0;
                  ws.onmessage = (e) => { bytes += e.data.byteLength; };
                  ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, bytes });
                  setTimeout(() => resolve({ code: -1, reason: 'timeout', bytes }), 15000);
                })""", bobs.get("url"));
        assertThat(((Number) refused.get("code")).intValue()).isEqualTo(4004);
        assertThat(((Number) refused.get("bytes")).intValue()).isZero();
        ctx.close();

        // a native client with Bob's API token and Alice's ticket: refused as well; with Alice's token: her screen
        String bobsToken = token("bob");
        String alicesToken = token("alice");
        assertThat(upgrade((String) console("alice").get("url"), bobsToken).code).isEqualTo(4004);
        Result own = upgrade((String) console("alice").get("url"), alicesToken);
        assertThat(own.greeting).startsWith("RFB 003.008");
    }

    private String noVncPage(String path) {
        return server.otherOrigin() + "/vnc_lite.html?host=localhost&port=" + server.port() + "&path="
                + URLEncoder.encode(path.substring(1), StandardCharsets.UTF_8);
    }

    /** The user's desktop of the demo pool (opened if needed) and a console ticket for it, over REST. */
    private Map<String, Object> console(String user) throws Exception {
        List<Object> cards = JsonParserFactory.getJsonParser().parseList(call(user, "GET", "/api/me/desktops", null));
        @SuppressWarnings("unchecked")
        String poolId = cards.stream().map(c -> (Map<String, Object>) c).filter(c -> "demo".equals(c.get("poolName")))
                .map(c -> (String) c.get("poolId")).findFirst().orElseThrow();
        // the demo pool's desktops may all be taken or being refreshed after other tests: wait for one
        String[] desktopId = new String[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(3)).pollInterval(java.time.Duration.ofSeconds(2))
                .until(() -> {
                    HttpResponse<String> r = send(user, "POST", "/api/me/pools/" + poolId + "/open", null);
                    if (r.statusCode() == 200) {
                        desktopId[0] = (String) json(r.body()).get("id");
                    }
                    return desktopId[0] != null;
                });
        return json(call(user, "POST", "/api/me/desktops/" + desktopId[0] + "/console", null));
    }

    private String token(String user) throws Exception {
        return (String) json(call(user, "POST", "/api/me/tokens", "{\"name\":\"e2e-" + user + "-" + System.nanoTime()
                + "\",\"scope\":\"USER\",\"lifetime\":\"PT1H\"}")).get("token");
    }

    private String call(String user, String method, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = send(user, method, path, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
        return r.body();
    }

    private HttpResponse<String> send(String user, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + user).getBytes()))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> json(String body) {
        return JsonParserFactory.getJsonParser().parseMap(body);
    }

    record Result(int code, String greeting) {
    }

    /** A native console client: keeps the server's first bytes (the RFB greeting), then closes. */
    public static final class Native implements Session.Listener.AutoDemanding {
        private final CompletableFuture<Integer> closed;
        private final StringBuilder greeting;
        private Session session;

        Native(CompletableFuture<Integer> closed, StringBuilder greeting) {
            this.closed = closed;
            this.greeting = greeting;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            byte[] b = new byte[Math.min(12, payload.remaining())];
            payload.get(b);
            synchronized (greeting) {
                greeting.append(new String(b, StandardCharsets.US_ASCII));
            }
            callback.succeed();
            session.close(1000, "done", Callback.NOOP);
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            closed.complete(statusCode);
            callback.succeed();
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            closed.completeExceptionally(cause);
        }
    }

    /** A WebSocket upgrade with {@code Authorization: Bearer <token>}, as a native client makes it. */
    private static Result upgrade(String url, String token) throws Exception {
        WebSocketClient client = new WebSocketClient();
        client.start();
        try {
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            StringBuilder greeting = new StringBuilder();
            ClientUpgradeRequest request = new ClientUpgradeRequest();
            request.setHeader("Authorization", "Bearer " + token);
            client.connect(new Native(closed, greeting), URI.create(url), request).get(10, TimeUnit.SECONDS);
            return new Result(closed.get(15, TimeUnit.SECONDS), greeting.toString());
        } finally {
            client.stop();
        }
    }
}
