package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.session.Session;
import io.atrium.broker.session.SessionAdminService;
import io.atrium.broker.session.SessionEndReason;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.web.servlet.MockMvc;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.hamcrest.Matchers.nullValue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/sessions}: JSON shapes, filters, 404/409/400 through ApiErrors, admin only. */
@WebMvcTest(SessionController.class)
@ApiSlice.ApiSecurity
class SessionControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        SessionAdminService sessionAdminService() {
            return mock(SessionAdminService.class);
        }
    }

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Session ACTIVE = new Session("s-1", "d-1", "demo-1", "p-1", "alice", T0, T0.plusSeconds(5), null,
            T0.plusSeconds(60), null, null);
    static final Session ENDED = new Session("s-1", "d-1", "demo-1", "p-1", "alice", T0, T0.plusSeconds(5),
            T0.plusSeconds(90), T0.plusSeconds(60), T0.plusSeconds(90), SessionEndReason.ADMIN_LOGOFF);

    @Autowired MockMvc mvc;
    @Autowired SessionAdminService service;
    SessionAdminService sessions;

    @BeforeEach
    void unwrap() {
        sessions = mockOf(service);
        reset(sessions);
    }

    @Test
    void listsSessionsWithTheirShapeAndPassesTheFilters() throws Exception {
        when(sessions.list(any(), any(), anyInt())).thenReturn(List.of(ACTIVE));
        mvc.perform(get("/api/sessions").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].id").value("s-1"))
                .andExpect(jsonPath("$[0].desktopId").value("d-1"))
                .andExpect(jsonPath("$[0].desktopName").value("demo-1"))
                .andExpect(jsonPath("$[0].poolId").value("p-1"))
                .andExpect(jsonPath("$[0].username").value("alice"))
                .andExpect(jsonPath("$[0].active").value(true))
                .andExpect(jsonPath("$[0].connected").value(true))
                .andExpect(jsonPath("$[0].startedAt").value("2026-12-01T10:00:00Z"))
                .andExpect(jsonPath("$[0].lastInputAt").value("2026-12-01T10:01:00Z"))
                .andExpect(jsonPath("$[0].endedAt").value(nullValue()))
                .andExpect(jsonPath("$[0].endReason").value(nullValue()));
        verify(sessions).list(Optional.empty(), Optional.empty(), 100);

        mvc.perform(get("/api/sessions").param("pool", "p-1").param("active", "false").param("limit", "5")
                .with(as("admin"))).andExpect(status().isOk());
        verify(sessions).list(Optional.of("p-1"), Optional.of(false), 5);
    }

    @Test
    void badFiltersAre400AndAnUnknownPoolIs404() throws Exception {
        mvc.perform(get("/api/sessions").param("active", "maybe").with(as("admin")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"))
                .andExpect(jsonPath("$.fields.active").exists());
        when(sessions.list(Optional.of("nope"), Optional.empty(), 100)).thenThrow(BrokerException.notFound("Pool nope"));
        mvc.perform(get("/api/sessions").param("pool", "nope").with(as("admin")))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.code").value("NOT_FOUND"))
                .andExpect(jsonPath("$.detail").value("Pool nope does not exist"));
    }

    @Test
    void oneSessionOr404() throws Exception {
        when(sessions.session("s-1")).thenReturn(ENDED);
        when(sessions.session("nope")).thenThrow(BrokerException.notFound("Session nope"));
        mvc.perform(get("/api/sessions/s-1").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.active").value(false))
                .andExpect(jsonPath("$.connected").value(false))
                .andExpect(jsonPath("$.endReason").value("ADMIN_LOGOFF"))
                .andExpect(jsonPath("$.endedAt").value("2026-12-01T10:01:30Z"));
        mvc.perform(get("/api/sessions/nope").with(as("admin")))
                .andExpect(status().isNotFound())
                .andExpect(header().string("Content-Type", "application/problem+json"));
    }

    @Test
    void disconnectAndLogOffAreActionsOnActiveSessionsOnly() throws Exception {
        when(sessions.disconnect("s-1")).thenReturn(new Session("s-1", "d-1", "demo-1", "p-1", "alice", T0,
                T0.plusSeconds(5), T0.plusSeconds(70), T0.plusSeconds(60), null, null));
        when(sessions.logOff("s-1")).thenReturn(ENDED);
        when(sessions.logOff("s-ended")).thenThrow(new BrokerException(BrokerStatus.ILLEGAL_STATE,
                "Session s-ended has already ended"));
        when(sessions.disconnect("nope")).thenThrow(BrokerException.notFound("Session nope"));

        // Basic authentication needs no CSRF token for a POST.
        mvc.perform(post("/api/sessions/s-1/disconnect").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.active").value(true))
                .andExpect(jsonPath("$.connected").value(false));
        mvc.perform(post("/api/sessions/s-1/logoff").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.endReason").value("ADMIN_LOGOFF"));
        mvc.perform(post("/api/sessions/s-ended/logoff").with(as("admin")))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.code").value("ILLEGAL_STATE"))
                .andExpect(jsonPath("$.detail").value("Session s-ended has already ended"));
        mvc.perform(post("/api/sessions/nope/disconnect").with(as("admin"))).andExpect(status().isNotFound());
        verify(sessions).disconnect("s-1");
        verify(sessions).logOff("s-1");
    }

    @Test
    void onlyAdministratorsMayAndStrangersMustLogIn() throws Exception {
        mvc.perform(get("/api/sessions").with(as("alice")))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.code").value("FORBIDDEN"));
        mvc.perform(post("/api/sessions/s-1/logoff").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/sessions/s-1").with(as("bob"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/sessions"))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Basic")));
        mvc.perform(post("/api/sessions/s-1/disconnect")).andExpect(status().isUnauthorized());
        verifyNoInteractions(sessions);
    }
}
