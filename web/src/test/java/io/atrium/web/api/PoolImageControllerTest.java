package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.image.Rollout;
import io.atrium.broker.image.RolloutService;
import io.atrium.broker.image.RolloutStatus;
import io.atrium.broker.image.VersionState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/pools/{id}/image}: status with per-desktop progress, publish, rollback, cancel, canary; admin only. */
@WebMvcTest(PoolImageController.class)
@ApiSlice.ApiSecurity
class PoolImageControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        RolloutService rolloutService() {
            return mock(RolloutService.class);
        }
    }

    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    static final Rollout RUNNING = new Rollout("r-1", "p-1", Optional.of("debian-v1-a"), "debian-v2-b",
            Rollout.Mode.FORCED, 1, Duration.ofSeconds(60), false, Rollout.State.RUNNING, null, "admin", T,
            Optional.empty());

    @Autowired MockMvc mvc;
    @Autowired RolloutService service;
    RolloutService rollouts;

    @BeforeEach
    void unwrap() {
        rollouts = mockOf(service);
        reset(rollouts);
    }

    @Test
    void theStatusShowsEveryDesktopsProgress() throws Exception {
        var v1 = ImageControllerTest.version(VersionState.PUBLISHED);
        when(rollouts.status("p-1")).thenReturn(new RolloutStatus("p-1", "lab", "debian", false, Optional.of(v1),
                Optional.empty(), 0, Optional.of(RUNNING), Optional.empty(), Optional.empty(), List.of(
                new RolloutStatus.DesktopProgress("d-1", "lab-1", DesktopState.READY, null, Optional.of("debian-v2-b"),
                        Optional.of("debian v2"), RolloutStatus.Progress.NEW, Optional.empty()),
                new RolloutStatus.DesktopProgress("d-2", "lab-2", DesktopState.CONNECTED, "alice",
                        Optional.of("debian-v1-a"), Optional.of("debian v1"), RolloutStatus.Progress.NOTIFIED,
                        Optional.of(T)))));
        mvc.perform(get("/api/pools/p-1/image").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.pinned.label").value("debian v1"))
                .andExpect(jsonPath("$.rollout.mode").value("FORCED"))
                .andExpect(jsonPath("$.rollout.graceSeconds").value(60))
                .andExpect(jsonPath("$.done").value(1))
                .andExpect(jsonPath("$.moving").value(2))
                .andExpect(jsonPath("$.desktops[0].progress").value("NEW"))
                .andExpect(jsonPath("$.desktops[1].progress").value("NOTIFIED"))
                .andExpect(jsonPath("$.desktops[1].user").value("alice"));
        mvc.perform(get("/api/pools/p-1/image").with(as("alice"))).andExpect(status().isForbidden());
    }

    @Test
    void publishRollbackCancelAndCanary() throws Exception {
        when(rollouts.publish(eq("p-1"), any())).thenReturn(RUNNING);
        when(rollouts.rollback(eq("p-1"), any())).thenReturn(RUNNING);
        when(rollouts.cancel("p-1")).thenReturn(RUNNING);
        when(rollouts.publish(eq("nope"), any())).thenThrow(BrokerException.notFound("Pool nope"));
        when(rollouts.setCanary("p-1", "debian-v2-b", 0)).thenThrow(InvalidInputException.of("size", "must be …"));
        mvc.perform(post("/api/pools/p-1/image/publish").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"versionId\":\"debian-v2-b\",\"mode\":\"FORCED\",\"graceSeconds\":60,\"batchSize\":1}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("RUNNING"))
                .andExpect(jsonPath("$.toVersion").value("debian-v2-b"));
        verify(rollouts).publish("p-1", new RolloutService.PublishSpec("debian-v2-b", "FORCED", 60L, 1));
        mvc.perform(post("/api/pools/p-1/image/rollback").with(as("admin"))).andExpect(status().isOk());
        mvc.perform(post("/api/pools/p-1/image/cancel").with(as("admin"))).andExpect(status().isOk());
        mvc.perform(post("/api/pools/nope/image/publish").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                .content("{}")).andExpect(status().isNotFound());
        mvc.perform(put("/api/pools/p-1/image/canary").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"versionId\":\"debian-v2-b\",\"size\":0}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.size").value("must be …"));
    }

    @Test
    void nobodyElse() throws Exception {
        mvc.perform(post("/api/pools/p-1/image/publish")).andExpect(status().isUnauthorized());
        mvc.perform(post("/api/pools/p-1/image/publish").with(as("bob"))).andExpect(status().isForbidden());
        verifyNoInteractions(rollouts);
    }
}
