package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/pools}: JSON shapes, the request body's parsing, 400/404/409 through ApiErrors, admin only. */
@WebMvcTest(PoolController.class)
@ApiSlice.ApiSecurity
class PoolControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        PoolAdminService poolAdminService() {
            return mock(PoolAdminService.class);
        }

        @Bean
        DesktopAdminService desktopAdminService() {
            return mock(DesktopAdminService.class);
        }
    }

    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    static final Pool LAB = new Pool("p-1", "lab", PoolKind.POOLED, "console", 1, 128, 1, 3, 1, List.of("group:demo"),
            Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(8), T0);
    static final DesktopAdminService.PoolStatus STATUS = new DesktopAdminService.PoolStatus(LAB, 2, 1, 1, 0, 0, 0, 2);
    static final String BODY = """
            {"name":"lab","kind":"pooled","image":"console","vcpus":1,"memoryMb":128,"minSize":1,"maxSize":3,
             "spares":1,"entitled":["group:demo"],"idleTimeout":"PT30M","disconnectGrace":"900",
             "maxSessionLength":"PT8H"}""";

    @Autowired MockMvc mvc;
    @Autowired PoolAdminService poolService;
    @Autowired DesktopAdminService desktopService;
    PoolAdminService pools;
    DesktopAdminService desktops;

    @BeforeEach
    void unwrap() {
        pools = mockOf(poolService);
        desktops = mockOf(desktopService);
        reset(pools, desktops);
    }

    @Test
    void listsPoolsWithTheirCountsAndIsoDurations() throws Exception {
        when(desktops.poolStatuses()).thenReturn(List.of(STATUS));
        mvc.perform(get("/api/pools").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].id").value("p-1"))
                .andExpect(jsonPath("$[0].name").value("lab"))
                .andExpect(jsonPath("$[0].kind").value("POOLED"))
                .andExpect(jsonPath("$[0].entitled[0]").value("group:demo"))
                .andExpect(jsonPath("$[0].idleTimeout").value("PT30M"))
                .andExpect(jsonPath("$[0].disconnectGrace").value("PT15M"))
                .andExpect(jsonPath("$[0].maxSessionLength").value("PT8H"))
                .andExpect(jsonPath("$[0].size").value(2))
                .andExpect(jsonPath("$[0].ready").value(1))
                .andExpect(jsonPath("$[0].assigned").value(1))
                .andExpect(jsonPath("$[0].target").value(2))
                .andExpect(jsonPath("$[0].createdAt").value("2026-12-01T10:00:00Z"));
    }

    @Test
    void createParsesTheBodyAndAnswers201WithLocation() throws Exception {
        when(pools.create(any())).thenReturn(LAB);
        when(desktops.poolStatus("p-1")).thenReturn(STATUS);
        mvc.perform(post("/api/pools").with(as("admin")).contentType(MediaType.APPLICATION_JSON).content(BODY))
                .andExpect(status().isCreated())
                .andExpect(header().string("Location", "/api/pools/p-1"))
                .andExpect(jsonPath("$.name").value("lab"));
        ArgumentCaptor<PoolSpec> spec = ArgumentCaptor.forClass(PoolSpec.class);
        verify(pools).create(spec.capture());
        assertThat(spec.getValue()).isEqualTo(new PoolSpec("lab", PoolKind.POOLED, "console", 1, 128, 1, 3, 1,
                List.of("group:demo"), Duration.ofMinutes(30), Duration.ofSeconds(900), Duration.ofHours(8)));
    }

    @Test
    void badInputIs400NamingTheFieldsAndUnreadableJsonIs400() throws Exception {
        when(pools.create(any())).thenThrow(new InvalidInputException(Map.of("vcpus", "must be 1 to 16")));
        mvc.perform(post("/api/pools").with(as("admin")).contentType(MediaType.APPLICATION_JSON).content(BODY))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"))
                .andExpect(jsonPath("$.fields.vcpus").value("must be 1 to 16"));
        mvc.perform(post("/api/pools").with(as("admin")).contentType(MediaType.APPLICATION_JSON).content("{not json"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"));
    }

    @Test
    void missingPoolsAre404AndAPoolInUseIs409() throws Exception {
        when(pools.get("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        when(desktops.desktopsOf("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        doThrow(new BrokerException(BrokerStatus.ILLEGAL_STATE, "Pool lab has 1 assigned desktop"))
                .when(pools).delete("p-1", false);
        mvc.perform(get("/api/pools/nope").with(as("admin")))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.code").value("NOT_FOUND"))
                .andExpect(jsonPath("$.status").value(404));
        mvc.perform(get("/api/pools/nope/desktops").with(as("admin"))).andExpect(status().isNotFound());
        mvc.perform(delete("/api/pools/p-1").with(as("admin")))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.code").value("ILLEGAL_STATE"));
        mvc.perform(delete("/api/pools/p-1").param("force", "true").with(as("admin")))
                .andExpect(status().isNoContent());
        verify(pools).delete("p-1", true);
    }

    @Test
    void updateAndTheDesktopsOfAPool() throws Exception {
        when(pools.update(any(), any())).thenReturn(LAB);
        when(desktops.poolStatus("p-1")).thenReturn(STATUS);
        when(desktops.desktopsOf("p-1")).thenReturn(List.of(new Desktop("d-1", "p-1", "lab-1", DesktopState.CONNECTED,
                "alice", "52:54:00:00:00:01", null, 3, T0, T0.plusSeconds(9))));
        mvc.perform(put("/api/pools/p-1").with(as("admin")).contentType(MediaType.APPLICATION_JSON).content(BODY))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.maxSize").value(3));
        mvc.perform(get("/api/pools/p-1/desktops").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[0].name").value("lab-1"))
                .andExpect(jsonPath("$[0].state").value("CONNECTED"))
                .andExpect(jsonPath("$[0].assignedUser").value("alice"))
                .andExpect(jsonPath("$[0].mac").doesNotExist());
    }

    @Test
    void onlyAdministratorsMayAndStrangersMustLogIn() throws Exception {
        mvc.perform(get("/api/pools").with(as("alice"))).andExpect(status().isForbidden())
                .andExpect(jsonPath("$.code").value("FORBIDDEN"));
        mvc.perform(post("/api/pools").with(as("alice")).contentType(MediaType.APPLICATION_JSON).content(BODY))
                .andExpect(status().isForbidden());
        mvc.perform(delete("/api/pools/p-1").with(as("bob"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/pools")).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/pools").with(org.springframework.security.test.web.servlet.request
                .SecurityMockMvcRequestPostProcessors.httpBasic("admin", "wrong"))).andExpect(status().isUnauthorized());
        verifyNoInteractions(pools, desktops);
    }
}
