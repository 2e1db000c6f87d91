package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.desktop.IllegalTransitionException;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.session.SessionAdminService;
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
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * {@code /api/desktops} and {@code /api/me}: JSON shapes, power and session actions (the session ones through
 * {@link SessionAdminService}, never the gateway), 400/404/409/503 through ApiErrors, admin only where it says so.
 */
@WebMvcTest(DesktopController.class)
@ApiSlice.ApiSecurity
class DesktopControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        DesktopAdminService desktopAdminService() {
            return mock(DesktopAdminService.class);
        }

        @Bean
        DesktopService desktopService() {
            return mock(DesktopService.class);
        }

        @Bean
        SessionAdminService sessionAdminService() {
            return mock(SessionAdminService.class);
        }

        @Bean
        io.atrium.broker.ticket.TicketService ticketService() {
            return mock(io.atrium.broker.ticket.TicketService.class);
        }
    }

    @Autowired io.atrium.broker.ticket.TicketService ticketService;

    @Test
    void theConsoleApiHandsOutAFreshTicketWithTheGatewayUrlAndItsExpiry() throws Exception {
        var tickets = mockOf(ticketService);
        reset(tickets);
        when(tickets.issue("d-1")).thenReturn(new io.atrium.broker.ticket.ConsoleTicket("secret-value", "d-1",
                T0.plusSeconds(30)));
        when(tickets.issue("d-other")).thenThrow(new BrokerException(BrokerStatus.FORBIDDEN, "Desktop x is not assigned to you"));
        mvc.perform(post("/api/me/desktops/d-1/console").with(as("alice")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.desktopId").value("d-1"))
                .andExpect(jsonPath("$.ticket").value("secret-value"))
                .andExpect(jsonPath("$.path").value("/gateway/vnc?desktop=d-1&ticket=secret-value"))
                .andExpect(jsonPath("$.url").value("ws://localhost:80/gateway/vnc?desktop=d-1&ticket=secret-value"))
                .andExpect(jsonPath("$.expiresAt").value("2026-12-01T10:00:30Z"));
        mvc.perform(post("/api/me/desktops/d-other/console").with(as("bob")))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.code").value("FORBIDDEN"));
        mvc.perform(post("/api/me/desktops/d-1/console")).andExpect(status().isUnauthorized());
    }

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Desktop CONNECTED = desktop(DesktopState.CONNECTED, "alice");
    static final Desktop REFRESHING = desktop(DesktopState.REFRESHING, null);

    static Desktop desktop(DesktopState state, String user) {
        return new Desktop("d-1", "p-1", "demo-1", state, user, "52:54:00:00:00:01", null, 4, T0, T0.plusSeconds(30));
    }

    @Autowired MockMvc mvc;
    @Autowired DesktopAdminService adminService;
    @Autowired DesktopService desktopService;
    @Autowired SessionAdminService sessionService;
    DesktopAdminService admin;
    DesktopService desktops;
    SessionAdminService sessions;

    @BeforeEach
    void unwrap() {
        admin = mockOf(adminService);
        desktops = mockOf(desktopService);
        sessions = mockOf(sessionService);
        reset(admin, desktops, sessions);
    }

    @Test
    void oneDesktopWithItsShape() throws Exception {
        when(admin.desktop("d-1")).thenReturn(CONNECTED);
        when(admin.desktop("nope")).thenThrow(BrokerException.notFound("Desktop nope"));
        mvc.perform(get("/api/desktops/d-1").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.id").value("d-1"))
                .andExpect(jsonPath("$.poolId").value("p-1"))
                .andExpect(jsonPath("$.name").value("demo-1"))
                .andExpect(jsonPath("$.state").value("CONNECTED"))
                .andExpect(jsonPath("$.assignedUser").value("alice"))
                .andExpect(jsonPath("$.updatedAt").value("2026-12-01T10:00:30Z"));
        mvc.perform(get("/api/desktops/nope").with(as("admin")))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.code").value("NOT_FOUND"));
    }

    @Test
    void powerActionsGoToTheDesktopAdministration() throws Exception {
        when(admin.start("d-1")).thenReturn(desktop(DesktopState.PROVISIONING, null));
        when(admin.reset("d-1")).thenReturn(CONNECTED);
        when(admin.shutdown("d-1")).thenThrow(new IllegalTransitionException(DesktopState.CONNECTED,
                DesktopState.STOPPED, "Desktop demo-1 is in use"));
        mvc.perform(post("/api/desktops/d-1/actions/start").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("PROVISIONING"));
        mvc.perform(post("/api/desktops/d-1/actions/reset").with(as("admin"))).andExpect(status().isOk());
        mvc.perform(post("/api/desktops/d-1/actions/shutdown").with(as("admin")))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.code").value("ILLEGAL_STATE"))
                .andExpect(jsonPath("$.detail").value("Desktop demo-1 is in use"));
        mvc.perform(post("/api/desktops/d-1/actions/explode").with(as("admin")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"))
                .andExpect(jsonPath("$.fields.action").exists());
        verify(admin).start("d-1");
        verify(admin).reset("d-1");
    }

    @Test
    void sessionActionsGoThroughTheSessionAdministration() throws Exception {
        when(admin.desktop("d-1")).thenReturn(CONNECTED, desktop(DesktopState.DISCONNECTED, "alice"),
                CONNECTED, REFRESHING);
        when(sessions.disconnectDesktop("d-1")).thenReturn(Optional.empty());
        when(sessions.logOffDesktop("d-1")).thenReturn(Optional.empty());
        mvc.perform(post("/api/desktops/d-1/actions/disconnect").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("DISCONNECTED"));
        mvc.perform(post("/api/desktops/d-1/actions/logoff").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("REFRESHING"));
        var order = inOrder(admin, sessions);
        order.verify(sessions).disconnectDesktop("d-1");
        order.verify(sessions).logOffDesktop("d-1");

        when(admin.desktop("d-2")).thenReturn(new Desktop("d-2", "p-1", "demo-2", DesktopState.READY, null,
                "52:54:00:00:00:02", null, 1, T0, T0));
        when(sessions.logOffDesktop("d-2")).thenThrow(new IllegalTransitionException(DesktopState.READY,
                DesktopState.LOGGING_OFF, "Desktop demo-2 has no user session to end (it is READY)"));
        mvc.perform(post("/api/desktops/d-2/actions/logoff").with(as("admin")))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.detail").value("Desktop demo-2 has no user session to end (it is READY)"));
        when(admin.desktop("nope")).thenThrow(BrokerException.notFound("Desktop nope"));
        mvc.perform(post("/api/desktops/nope/actions/disconnect").with(as("admin"))).andExpect(status().isNotFound());
        verify(sessions, never()).disconnectDesktop("nope");
    }

    @Test
    void deleteAndScreenshot() throws Exception {
        doThrow(new IllegalTransitionException(DesktopState.CONNECTED, DesktopState.DELETED, "Desktop demo-1 is in use"))
                .when(admin).delete("d-1", false);
        mvc.perform(delete("/api/desktops/d-1").with(as("admin"))).andExpect(status().isConflict());
        mvc.perform(delete("/api/desktops/d-1").param("force", "true").with(as("admin"))).andExpect(status().isNoContent());
        verify(admin).delete("d-1", true);

        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        when(admin.screendump("d-1")).thenReturn(Optional.of(png));
        when(admin.screendump("d-off")).thenReturn(Optional.empty());
        mvc.perform(get("/api/desktops/d-1/screenshot").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(header().string("Content-Type", "image/png"))
                .andExpect(header().string("Cache-Control", org.hamcrest.Matchers.containsString("no-store")))
                .andExpect(content().bytes(png));
        mvc.perform(get("/api/desktops/d-off/screenshot").with(as("admin"))).andExpect(status().isNotFound());
    }

    @Test
    void usersSeeTheirCardsAndOpenDesktops() throws Exception {
        Pool pool = Pool.fixed("p-1", "demo", PoolKind.POOLED, "console", 1, 128, 3, List.of("group:demo"), T0);
        when(desktops.myDesktops()).thenReturn(List.of(new DesktopService.MyDesktop(pool, Optional.of(CONNECTED), 2)));
        when(desktops.open("p-1")).thenReturn(CONNECTED);
        when(desktops.open("p-full")).thenThrow(new BrokerException(BrokerStatus.NO_DESKTOP_FREE, "No desktop is free"));
        when(desktops.open("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        mvc.perform(get("/api/me/desktops").with(as("alice")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].poolId").value("p-1"))
                .andExpect(jsonPath("$[0].poolName").value("demo"))
                .andExpect(jsonPath("$[0].desktop.name").value("demo-1"))
                .andExpect(jsonPath("$[0].free").value(2));
        mvc.perform(post("/api/me/pools/p-1/open").with(as("alice")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.assignedUser").value("alice"));
        mvc.perform(post("/api/me/pools/p-full/open").with(as("alice")))
                .andExpect(status().isServiceUnavailable())
                .andExpect(jsonPath("$.code").value("NO_DESKTOP_FREE"));
        mvc.perform(post("/api/me/pools/nope/open").with(as("alice"))).andExpect(status().isNotFound());
    }

    @Test
    void onlyAdministratorsMayAdministerAndStrangersMustLogIn() throws Exception {
        mvc.perform(get("/api/desktops/d-1").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(post("/api/desktops/d-1/actions/reset").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(post("/api/desktops/d-1/actions/logoff").with(as("bob"))).andExpect(status().isForbidden());
        mvc.perform(delete("/api/desktops/d-1").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/desktops/d-1/screenshot").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/me/desktops")).andExpect(status().isUnauthorized());
        mvc.perform(post("/api/me/pools/p-1/open")).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/desktops/d-1")).andExpect(status().isUnauthorized());
        verifyNoInteractions(admin, desktops, sessions);
        verify(sessions, never()).logOffDesktop(any());
    }
}
