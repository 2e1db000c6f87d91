package io.atrium.web.api;

import io.atrium.broker.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.util.Map;

import static io.atrium.web.api.ApiSlice.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * {@code /api/users}, {@code /api/groups}, {@code /api/lockouts}, {@code /api/me/tokens}, {@code /api/tokens} and
 * {@code /api/audit}, with the broker's real identity services and audit log on the slice's database: shapes, field
 * errors, one-time secrets shown once, admin only.
 */
@WebMvcTest({IdentityController.class, AuditController.class})
@ApiSlice.ApiSecurity
class IdentityControllerTest {
    @Autowired MockMvc mvc;
    @Autowired AuditLog audit;
    @Autowired io.atrium.broker.identity.UserAdminService users;

    private static void asAdmin(Runnable r) {
        var ctx = org.springframework.security.core.context.SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(org.springframework.security.authentication.UsernamePasswordAuthenticationToken.authenticated(
                "admin", null, java.util.List.of(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_ADMIN"))));
        org.springframework.security.core.context.SecurityContextHolder.setContext(ctx);
        try {
            r.run();
        } finally {
            org.springframework.security.core.context.SecurityContextHolder.clearContext();
        }
    }

    @Test
    void administratorsCreateAUserWithAOneTimePasswordShownOnceAndManageIt() throws Exception {
        String body = mvc.perform(post("/api/users").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"username\":\"gina\",\"displayName\":\"Gina\",\"groups\":[\"lab\"]}"))
                .andExpect(status().isCreated())
                .andExpect(header().string("Location", "/api/users/gina"))
                .andExpect(jsonPath("$.user.source").value("LOCAL"))
                .andExpect(jsonPath("$.user.mustChangePassword").value(true))
                .andExpect(jsonPath("$.user.groups[0]").value("lab"))
                .andExpect(jsonPath("$.oneTimePassword").isString())
                .andReturn().getResponse().getContentAsString();
        String oneTime = (String) JsonParserFactory.getJsonParser().parseMap(body).get("oneTimePassword");
        mvc.perform(get("/api/users/gina").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(content().string(not(containsString(oneTime))))
                .andExpect(jsonPath("$.passwordHash").doesNotExist());
        mvc.perform(post("/api/users").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"username\":\"bad name\",\"groups\":[\"no way\"]}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.username").exists())
                .andExpect(jsonPath("$.fields.groups").exists());
        mvc.perform(put("/api/users/gina").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"enabled\":false}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.enabled").value(false));
        mvc.perform(put("/api/users/admin").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"enabled\":false}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.enabled").exists());
        mvc.perform(post("/api/users/gina/password-reset").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.oneTimePassword").isString());
        mvc.perform(get("/api/users/nobody").with(as("admin"))).andExpect(status().isNotFound());
        mvc.perform(post("/api/groups").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"lab\"}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.members[0]").value("gina"));
        mvc.perform(get("/api/groups").with(as("admin"))).andExpect(jsonPath("$[*].name", hasItem("lab")));
        mvc.perform(delete("/api/users/gina").with(as("admin"))).andExpect(status().isNoContent());
        mvc.perform(delete("/api/lockouts/addr:192.0.2.99").with(as("admin"))).andExpect(status().isNotFound());
        mvc.perform(put("/api/settings/mfa-required-for-admins").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"value\":true}"))
                .andExpect(jsonPath("$.value").value(true));
        // now the administrator needs a second factor, which HTTP Basic cannot carry: an API token it is
        mvc.perform(get("/api/users").with(as("admin")))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.detail").value(containsString("API token")));
        asAdmin(() -> users.requireMfaForAdmins(false));
        mvc.perform(get("/api/users").with(as("admin"))).andExpect(status().isOk());
    }

    @Test
    void usersManageTheirOwnTokensOnlyAndAdministratorsSeeAll() throws Exception {
        String body = mvc.perform(post("/api/me/tokens").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"laptop\",\"lifetime\":\"P7D\"}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.token").value(org.hamcrest.Matchers.startsWith("atr_")))
                .andExpect(jsonPath("$.info.scope").value("USER"))
                .andReturn().getResponse().getContentAsString();
        @SuppressWarnings("unchecked")
        String id = (String) ((Map<String, Object>) JsonParserFactory.getJsonParser().parseMap(body).get("info")).get("id");
        mvc.perform(post("/api/me/tokens").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"name\":\"root\",\"scope\":\"ADMIN\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.scope").exists());
        mvc.perform(get("/api/me/tokens").with(as("alice")))
                .andExpect(jsonPath("$[0].name").value("laptop"))
                .andExpect(jsonPath("$[0].token").doesNotExist());
        mvc.perform(delete("/api/me/tokens/" + id).with(as("bob"))).andExpect(status().isNotFound());
        mvc.perform(get("/api/tokens").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/tokens").with(as("admin"))).andExpect(jsonPath("$[*].id", hasItem(id)));
        mvc.perform(delete("/api/tokens/" + id).with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.revokedAt").isString());
    }

    @Test
    void theAuditLogIsReadAsJsonAndCsvByAdministratorsOnly() throws Exception {
        audit.recordAs("mallory", "192.0.2.5", "login.failure", io.atrium.broker.audit.AuditEvent.Outcome.FAILURE,
                "user", "mallory", Map.of("method", "form"));
        audit.recordAs("=eve", null, "pool.update", io.atrium.broker.audit.AuditEvent.Outcome.SUCCESS, "pool", "p-1",
                Map.of("note", "a, b"));
        mvc.perform(get("/api/audit").param("action", "login").param("actor", "mallory").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].action").value("login.failure"))
                .andExpect(jsonPath("$[0].client").value("192.0.2.5"))
                .andExpect(jsonPath("$[0].outcome").value("FAILURE"));
        String csv = mvc.perform(get("/api/audit/export").param("actor", "=eve").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(header().string("Content-Type", containsString("text/csv")))
                .andReturn().getResponse().getContentAsString();
        assertThat(csv).startsWith("at,actor,action,outcome,objectType,objectId,client,detail\r\n");
        // a cell a spreadsheet would run as a formula is defused; a cell with commas or quotes is quoted
        assertThat(csv.lines().skip(1)).singleElement().asString().contains(",'=eve,pool.update,SUCCESS,pool,p-1,,")
                .endsWith(",\"{\"\"note\"\":\"\"a, b\"\"}\"");
        mvc.perform(get("/api/audit").param("outcome", "MAYBE").with(as("admin")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.fields.outcome").exists());
        mvc.perform(get("/api/audit").param("from", "yesterday").with(as("admin")))
                .andExpect(status().isBadRequest()).andExpect(jsonPath("$.fields.from").exists());
        mvc.perform(get("/api/audit").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/audit/export")).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/users").with(as("bob"))).andExpect(status().isForbidden());
    }
}
