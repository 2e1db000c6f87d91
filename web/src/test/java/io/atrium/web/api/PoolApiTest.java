package io.atrium.web.api;

import io.atrium.web.AtriumApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pool and desktop REST API over real HTTP with Basic auth: CRUD, field errors, 404/403/401, OpenAPI. No VM is
 * started: the demo pool is off and the pools made here have no minimum size.
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
class PoolApiTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort int port;

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Test
    void administratorsCreateReadUpdateAndDeletePools() throws Exception {
        var created = call("admin", "POST", "/api/pools", pool("api-crud", 0, 2));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Map<String, Object> pool = json(created.body());
        String id = (String) pool.get("id");
        assertThat(pool).containsEntry("name", "api-crud").containsEntry("kind", "POOLED")
                .containsEntry("idleTimeout", "PT30M").containsEntry("size", 0);
        assertThat(created.headers().firstValue("Location")).contains("/api/pools/" + id);

        assertThat(json(call("admin", "GET", "/api/pools/" + id, null).body())).containsEntry("maxSize", 2);
        var updated = call("admin", "PUT", "/api/pools/" + id, pool("api-crud", 0, 4));
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(json(updated.body())).containsEntry("maxSize", 4);
        assertThat(call("admin", "GET", "/api/pools", null).body()).contains("\"api-crud\"");
        var desktops = call("admin", "GET", "/api/pools/" + id + "/desktops", null);
        assertThat(desktops.statusCode()).isEqualTo(200);
        assertThat(desktops.body()).isEqualTo("[]");

        // users see the pool as a card, but none is free (minimum size 0)
        var mine = call("alice", "GET", "/api/me/desktops", null);
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(mine.body()).contains("\"poolName\":\"api-crud\"");
        assertThat(call("alice", "POST", "/api/me/pools/" + id + "/open", null).statusCode()).isEqualTo(503);

        assertThat(call("admin", "DELETE", "/api/pools/" + id, null).statusCode()).isEqualTo(204);
        assertThat(call("admin", "GET", "/api/pools/" + id, null).statusCode()).isEqualTo(404);
    }

    @Test
    void badInputIs400NamingEachField() throws Exception {
        String body = """
                {"name":"Not OK","kind":"weird","image":"console","vcpus":0,"memoryMb":128,"minSize":3,"maxSize":1,
                 "spares":0,"entitled":["nobody"],"idleTimeout":"soon","disconnectGrace":"PT15M","maxSessionLength":"3600"}""";
        var r = call("admin", "POST", "/api/pools", body);
        assertThat(r.statusCode()).isEqualTo(400);
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = (Map<String, Object>) json(r.body()).get("fields");
        assertThat(fields).containsOnlyKeys("name", "kind", "vcpus", "maxSize", "entitled", "idleTimeout");
        assertThat(call("admin", "POST", "/api/pools", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void missingThingsAre404() throws Exception {
        assertThat(call("admin", "GET", "/api/pools/nope", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "PUT", "/api/pools/nope", pool("x", 0, 1)).statusCode()).isEqualTo(404);
        assertThat(call("admin", "DELETE", "/api/pools/nope", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "GET", "/api/pools/nope/desktops", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "GET", "/api/desktops/nope", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "POST", "/api/desktops/nope/actions/start", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "DELETE", "/api/desktops/nope", null).statusCode()).isEqualTo(404);
        assertThat(call("admin", "GET", "/api/desktops/nope/screenshot", null).statusCode()).isEqualTo(404);
        assertThat(call("alice", "POST", "/api/me/pools/nope/open", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aPersonalAccessTokenCallsTheApiInTheRunningApplicationWithItsScope() throws Exception {
        var created = call("admin", "POST", "/api/me/tokens", "{\"name\":\"ops\",\"scope\":\"ADMIN\",\"lifetime\":\"PT1H\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String token = (String) json(created.body()).get("token");
        var userScoped = call("admin", "POST", "/api/me/tokens", "{\"name\":\"me\",\"scope\":\"USER\"}");
        String userToken = (String) json(userScoped.body()).get("token");
        assertThat(bearer(token, "GET", "/api/pools").statusCode()).isEqualTo(200);
        assertThat(bearer(userToken, "GET", "/api/me/desktops").statusCode()).isEqualTo(200);
        assertThat(bearer(userToken, "GET", "/api/pools").statusCode()).as("USER scope: no admin rights").isEqualTo(403);
        var bad = bearer("atr_made-up", "GET", "/api/pools");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(json(bad.body())).containsEntry("code", "UNAUTHENTICATED");
        String id = (String) ((Map<?, ?>) json(created.body()).get("info")).get("id");
        assertThat(bearer(token, "DELETE", "/api/me/tokens/" + id).statusCode()).isEqualTo(200);
        assertThat(bearer(token, "GET", "/api/pools").statusCode()).as("revoked").isEqualTo(401);
        // refused tokens count as failed logins of this address: forget them, other tests log in from here too
        guard.current().forEach(l -> guard.clear(l.key()));
    }

    @Autowired io.atrium.broker.identity.LoginGuard guard;

    private HttpResponse<String> bearer(String token, String method, String path) throws Exception {
        return bearerFrom("localhost", token, method, path);
    }

    private HttpResponse<String> bearerFrom(String host, String token, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unknownApiPathsAreAJson404NotTheUiPage() throws Exception {
        for (String path : new String[] {"/api/nope", "/api/pools/x/y/z", "/api/me/whatever"}) {
            var r = call("admin", "GET", path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
            assertThat(json(r.body())).as(path).containsEntry("code", "NOT_FOUND");
        }
        assertThat(call(null, "GET", "/api/nope", null).statusCode()).as("strangers log in first").isEqualTo(401);
    }

    @Test
    void usersMayNotAdministerAndStrangersMustLogIn() throws Exception {
        assertThat(call("alice", "GET", "/api/pools", null).statusCode()).isEqualTo(403);
        assertThat(call("alice", "POST", "/api/pools", pool("alices", 0, 1)).statusCode()).isEqualTo(403);
        assertThat(call("alice", "GET", "/api/pools/nope/desktops", null).statusCode()).isEqualTo(403);
        assertThat(call("alice", "POST", "/api/desktops/nope/actions/reset", null).statusCode()).isEqualTo(403);
        assertThat(call("alice", "GET", "/api/desktops/nope/screenshot", null).statusCode()).isEqualTo(403);
        assertThat(call(null, "GET", "/api/pools", null).statusCode()).isEqualTo(401);
        assertThat(call(null, "GET", "/api/me/desktops", null).statusCode()).isEqualTo(401);
        assertThat(call("admin", "GET", "/api/pools", null).body()).doesNotContain("alices");
    }

    @Test
    void theOpenApiDocumentListsEveryApiEndpoint() throws Exception {
        var r = call(null, "GET", "/api/openapi.json", null);
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Object> doc = json(r.body());
        assertThat(doc.get("openapi").toString()).startsWith("3.");
        assertThat(r.body()).contains("basicAuth");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) doc.get("paths");
        assertThat(paths).containsKeys("/api/pools", "/api/pools/{poolId}", "/api/pools/{poolId}/desktops",
                "/api/desktops/{desktopId}/actions/{action}", "/api/desktops/{desktopId}",
                "/api/desktops/{desktopId}/screenshot", "/api/me/desktops", "/api/me/pools/{poolId}/open",
                "/api/sessions", "/api/sessions/{sessionId}", "/api/sessions/{sessionId}/disconnect",
                "/api/sessions/{sessionId}/logoff", "/api/me/desktops/{desktopId}/console", "/api/users",
                "/api/me/tokens", "/api/audit", "/api/audit/export", "/api/lockouts");
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<RequestMappingInfo, ?> e : mappings.getHandlerMethods().entrySet()) {
            for (String pattern : e.getKey().getPatternValues()) {
                if (!pattern.startsWith("/api/") || pattern.startsWith("/api/openapi.json")) {
                    continue;
                }
                for (var method : e.getKey().getMethodsCondition().getMethods()) {
                    Map<String, Object> item = paths.get(pattern);
                    if (item == null || !item.containsKey(method.name().toLowerCase())) {
                        missing.add(method + " " + pattern);
                    }
                }
            }
        }
        assertThat(missing).as("endpoints missing from openapi.json").isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static String pool(String name, int min, int max) {
        return """
                {"name":"%s","kind":"POOLED","image":"console","vcpus":1,"memoryMb":128,"minSize":%d,"maxSize":%d,
                 "spares":0,"entitled":["group:demo"],"idleTimeout":"PT30M","disconnectGrace":"900",
                 "maxSessionLength":"PT8H"}""".formatted(name, min, max);
    }

    private HttpResponse<String> call(String user, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + user).getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> json(String body) {
        return JsonParserFactory.getJsonParser().parseMap(body);
    }

    @SuppressWarnings("unused")
    private static List<Object> jsonList(String body) {
        return JsonParserFactory.getJsonParser().parseList(body);
    }
}
