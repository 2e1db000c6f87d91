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
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The API filter chain ({@link SecurityConfig.ApiChain}) on its own, in front of a probe controller: HTTP Basic
 * against the configured users, stateless (no session, no cookie), no CSRF token needed for a POST, the OpenAPI
 * document public, everything else refused without credentials with 401 and a Basic challenge (never a redirect to
 * the login page).
 */
@WebMvcTest(controllers = ApiFilterChainTest.Probe.class)
@Import({SecurityConfig.Accounts.class, SecurityConfig.ApiChain.class, ApiFilterChainTest.Probe.class})
@ImportAutoConfiguration(AopAutoConfiguration.class)
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

    @Test
    void theOpenApiDocumentIsPublic() throws Exception {
        mvc.perform(get("/api/openapi.json")).andExpect(status().isOk()).andExpect(content().string("{}"));
    }
}
