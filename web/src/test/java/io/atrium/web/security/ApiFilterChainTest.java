package io.atrium.web.security;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.security.core.Authentication;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.httpBasic;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The API filter chain ({@link SecurityConfig.ApiChain}) on its own, in front of a probe controller, with the
 * broker's real accounts and tokens ({@link IdentitySlice}): bearer tokens and HTTP Basic, the brute-force guard
 * (429 with Retry-After, on the slice's clock), stateless (no session, no cookie), no CSRF token needed for a POST, the OpenAPI
 * document public, everything else refused without credentials with 401 and a Basic challenge (never a redirect to
 * the login page).
 */
@WebMvcTest(controllers = ApiFilterChainTest.Probe.class)
@Import({SecurityConfig.Accounts.class, SecurityConfig.ApiChain.class, IdentitySlice.class, ApiFilterChainTest.Probe.class})
@ImportAutoConfiguration(AopAutoConfiguration.class)
@org.springframework.test.context.TestPropertySource(properties = {
        "spring.datasource.url=jdbc:h2:mem:slice-${random.uuid};DB_CLOSE_DELAY=-1",
        "atrium.broker.identity.demo-users=true",
        "atrium.broker.data-dir=target/slice-data"})
class ApiFilterChainTest {

    @RestController
    static class Probe {
        @GetMapping("/api/probe")
        String who(Authentication auth) {
            return auth.getName();
        }

        @PostMapping("/api/probe")
        String change(Authentication auth) {
            return "changed by " + auth.getName();
        }

        @GetMapping("/api/openapi.json")
        String openApi() {
            return "{}";
        }
    }

    @Autowired MockMvc mvc;

    @Test
    void basicAuthenticatesAgainstTheConfiguredUsersAndCreatesNoSession() throws Exception {
        MvcResult r = mvc.perform(get("/api/probe").with(httpBasic("alice", "alice")))
                .andExpect(status().isOk())
                .andExpect(content().string("alice"))
                .andExpect(header().doesNotExist("Set-Cookie"))
                .andReturn();
        assertThat(r.getRequest().getSession(false)).as("stateless: no HTTP session").isNull();
    }

    @Test
    void aPostWithBasicNeedsNoCsrfToken() throws Exception {
        MvcResult r = mvc.perform(post("/api/probe").with(httpBasic("admin", "admin")))
                .andExpect(status().isOk())
                .andExpect(content().string("changed by admin"))
                .andReturn();
        assertThat(r.getRequest().getSession(false)).isNull();
    }

    @Test
    void withoutValidCredentialsItIs401WithABasicChallenge() throws Exception {
        mvc.perform(get("/api/probe"))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", startsWith("Basic")))
                .andExpect(header().doesNotExist("Location"));
        mvc.perform(post("/api/probe")).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/probe").with(httpBasic("alice", "wrong"))).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/probe").with(httpBasic("mallory", "mallory"))).andExpect(status().isUnauthorized());
    }

    @Autowired io.atrium.broker.identity.TokenService tokens;
    @Autowired IdentitySlice.SliceClock clock;

    private static org.springframework.test.web.servlet.request.RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }

    private static org.springframework.test.web.servlet.request.RequestPostProcessor bearer(String token) {
        return request -> {
            request.addHeader("Authorization", "Bearer " + token);
            return request;
        };
    }

    @Test
    void aBearerTokenAuthenticatesUntilItIsRevoked() throws Exception {
        var created = asUser("alice", () -> tokens.create("ci", io.atrium.broker.identity.ApiToken.Scope.USER,
                java.time.Duration.ofDays(1)));
        MvcResult r = mvc.perform(get("/api/probe").with(bearer(created.value())).with(from("198.51.100.10")))
                .andExpect(status().isOk())
                .andExpect(content().string("alice"))
                .andExpect(header().doesNotExist("Set-Cookie"))
                .andReturn();
        assertThat(r.getRequest().getSession(false)).isNull();
        mvc.perform(post("/api/probe").with(bearer(created.value())).with(from("198.51.100.10")))
                .andExpect(status().isOk()).andExpect(content().string("changed by alice"));
        asUser("alice", () -> tokens.revokeMine(created.token().id()));
        mvc.perform(get("/api/probe").with(bearer(created.value())).with(from("198.51.100.10")))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.code").value("TOKEN_EXPIRED"));
        mvc.perform(get("/api/probe").with(bearer("atr_not-a-real-token")).with(from("198.51.100.11")))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", startsWith("Basic")));
    }

    @Test
    void repeatedWrongPasswordsBackOffWith429AndRetryAfterThenLockTheAddressOnly() throws Exception {
        String attacker = "203.0.113.66";
        for (int i = 0; i < 3; i++) {
            mvc.perform(get("/api/probe").with(httpBasic("bob", "guess" + i)).with(from(attacker)))
                    .andExpect(status().isUnauthorized());
        }
        // backoff: refused before the password is looked at, with how long to wait
        mvc.perform(get("/api/probe").with(httpBasic("bob", "bob")).with(from(attacker)))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().string("Retry-After", "1"))
                .andExpect(jsonPath("$.code").value("TOO_MANY_REQUESTS"));
        for (int i = 3; i < 10; i++) {
            clock.advance(java.time.Duration.ofMinutes(3));
            mvc.perform(get("/api/probe").with(httpBasic("bob", "guess" + i)).with(from(attacker)))
                    .andExpect(status().isUnauthorized());
        }
        mvc.perform(get("/api/probe").with(httpBasic("bob", "bob")).with(from(attacker)))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().string("Retry-After", "900"));
        // bob himself, from his own address, is not locked out
        mvc.perform(get("/api/probe").with(httpBasic("bob", "bob")).with(from("198.51.100.20")))
                .andExpect(status().isOk()).andExpect(content().string("bob"));
        clock.advance(java.time.Duration.ofMinutes(15).plusSeconds(1));
        mvc.perform(get("/api/probe").with(httpBasic("bob", "bob")).with(from(attacker)))
                .andExpect(status().isOk());
    }

    private static <T> T asUser(String user, java.util.function.Supplier<T> body) {
        var auth = org.springframework.security.authentication.UsernamePasswordAuthenticationToken.authenticated(user, null,
                java.util.List.of(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_USER")));
        var ctx = org.springframework.security.core.context.SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        org.springframework.security.core.context.SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            org.springframework.security.core.context.SecurityContextHolder.clearContext();
        }
    }

    @Test
    void theOpenApiDocumentIsPublic() throws Exception {
        mvc.perform(get("/api/openapi.json")).andExpect(status().isOk()).andExpect(content().string("{}"));
    }
}
