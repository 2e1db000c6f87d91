package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.gpu.GpuOverview;
import io.atrium.broker.gpu.GpuService;
import io.atrium.broker.gpu.PoolGpuPlan;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuPoolSnapshot;
import io.atrium.vmm.gpu.GpuSnapshot;
import io.atrium.vmm.gpu.MigMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;
import java.util.Map;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/gpus} and {@code /api/pools/{id}/gpu}: JSON shapes, mode parsing, 400/404/409, admin only. */
@WebMvcTest(GpuController.class)
@ApiSlice.ApiSecurity
class GpuControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        GpuService gpuService() {
            return mock(GpuService.class);
        }
    }

    static final GpuSnapshot GPU0 = new GpuSnapshot(0, "GPU-0", "NVIDIA H100 80GB HBM3", "h100-80gb-hbm3", true,
            GpuMode.MIG, MigMode.ENABLED, List.of(), 0, 7, 0, 8, 0, 81559, null, Map.of("1g.10gb", 7));
    static final GpuSnapshot GPU0_TIME_SLICED = new GpuSnapshot(0, "GPU-0", "NVIDIA H100 80GB HBM3", "h100-80gb-hbm3",
            true, GpuMode.TIME_SLICED, MigMode.ENABLED, List.of(), 0, 7, 0, 8, 0, 81559, null, Map.of());
    static final PoolGpuPlan PLAN = new PoolGpuPlan("p-1", "demo", "1g.10gb", 3, 3, null, true);

    @Autowired MockMvc mvc;
    @Autowired GpuService service;
    GpuService gpus;

    @BeforeEach
    void unwrap() {
        gpus = mockOf(service);
        reset(gpus);
    }

    @Test
    void theOverviewSaysWhichGpusAreSimulated() throws Exception {
        when(gpus.overview()).thenReturn(new GpuOverview("2 x h100-80gb-hbm3", "best-fit", List.of(GPU0), Map.of(),
                List.of(PLAN), List.of("1g.10gb", "7g.80gb"), List.of()));
        mvc.perform(get("/api/gpus").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.inventory").value("2 x h100-80gb-hbm3"))
                .andExpect(jsonPath("$.gpus[0].index").value(0))
                .andExpect(jsonPath("$.gpus[0].simulated").value(true))
                .andExpect(jsonPath("$.gpus[0].mode").value("MIG"))
                .andExpect(jsonPath("$.gpus[0].fits['1g.10gb']").value(7))
                .andExpect(jsonPath("$.pools[0].profile").value("1g.10gb"))
                .andExpect(jsonPath("$.profiles[1]").value("7g.80gb"));
    }

    @Test
    void switchingTheModeParsesItLeniently() throws Exception {
        when(gpus.snapshot()).thenReturn(new GpuPoolSnapshot(List.of(GPU0_TIME_SLICED), "best-fit"));
        mvc.perform(post("/api/gpus/0/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\" time-sliced \"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.index").value(0))
                .andExpect(jsonPath("$.mode").value("TIME_SLICED"));
        verify(gpus).switchMode(0, GpuMode.TIME_SLICED);
    }

    @Test
    void badModesAre400UnknownGpusAre404BusyGpusAre409() throws Exception {
        mvc.perform(post("/api/gpus/0/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON).content("{}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"));
        mvc.perform(post("/api/gpus/0/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"warp\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("unknown GPU mode 'warp'")));
        mvc.perform(post("/api/gpus/x/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"MIG\"}"))
                .andExpect(status().isBadRequest());
        verify(gpus, never()).switchMode(anyInt(), any());

        when(gpus.switchMode(9, GpuMode.MIG)).thenThrow(BrokerException.notFound("GPU 9"));
        when(gpus.switchMode(1, GpuMode.NONE)).thenThrow(new BrokerException(BrokerStatus.ILLEGAL_STATE,
                "GPU 1 holds 2 slices"));
        mvc.perform(post("/api/gpus/9/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"MIG\"}"))
                .andExpect(status().isNotFound());
        mvc.perform(post("/api/gpus/1/mode").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"none\"}"))
                .andExpect(status().isConflict())
                .andExpect(jsonPath("$.detail").value("GPU 1 holds 2 slices"));
    }

    @Test
    void aPoolsGpuProfileIsReadAndSet() throws Exception {
        when(gpus.poolGpu("p-1")).thenReturn(PLAN);
        when(gpus.setPoolProfile("p-1", "1g.10gb")).thenReturn(PLAN);
        when(gpus.setPoolProfile("p-1", null)).thenReturn(new PoolGpuPlan("p-1", "demo", null, 0, 3, null, false));
        when(gpus.poolGpu("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        mvc.perform(get("/api/pools/p-1/gpu").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.placed").value(3))
                .andExpect(jsonPath("$.wanted").value(3))
                .andExpect(jsonPath("$.simulated").value(true));
        mvc.perform(put("/api/pools/p-1/gpu").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"profile\":\"1g.10gb\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.profile").value("1g.10gb"));
        mvc.perform(put("/api/pools/p-1/gpu").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"profile\":null}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.profile").doesNotExist());
        mvc.perform(get("/api/pools/nope/gpu").with(as("admin"))).andExpect(status().isNotFound());
    }

    @Test
    void onlyAdministratorsMayAndStrangersMustLogIn() throws Exception {
        mvc.perform(get("/api/gpus").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(post("/api/gpus/0/mode").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"mode\":\"MIG\"}")).andExpect(status().isForbidden());
        mvc.perform(put("/api/pools/p-1/gpu").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"profile\":null}")).andExpect(status().isForbidden());
        mvc.perform(get("/api/gpus")).andExpect(status().isUnauthorized());
        verifyNoInteractions(gpus);
    }
}
