package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.network.PoolNetwork;
import io.atrium.broker.network.PoolNetworkService;
import io.atrium.broker.network.PoolNetworkSettings;
import io.atrium.vmm.api.HostNetworking;
import io.atrium.vmm.api.Ipv4Subnet;
import io.atrium.vmm.api.MachineSpec.NetworkMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/networks} and {@code /api/pools/{id}/network}: JSON shapes, 400 naming fields, 404, admin only. */
@WebMvcTest(NetworkController.class)
@ApiSlice.ApiSecurity
class NetworkControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        PoolNetworkService poolNetworkService() {
            return mock(PoolNetworkService.class);
        }
    }

    static final PoolNetwork LAB = new PoolNetwork("p-1", NetworkMode.LAB, "10.77.0.0/24", "10.77.0.1", "10.77.0.2",
            "10.77.0.254", true, "a1b2c3d4", Instant.parse("2026-12-01T10:00:00Z"));

    @Autowired MockMvc mvc;
    @Autowired PoolNetworkService service;
    PoolNetworkService networks;

    @BeforeEach
    void unwrap() {
        networks = mockOf(service);
        reset(networks);
    }

    @Test
    void theHostSaysWhatItCanDoAndWhichNetworksAreItsOwn() throws Exception {
        when(networks.hostNetworking()).thenReturn(new HostNetworking(EnumSet.of(NetworkMode.ISOLATED, NetworkMode.LAB),
                "NAT needs an uplink", List.of(Ipv4Subnet.parse("192.0.2.0/24")), List.of("a1b2c3d4")));
        mvc.perform(get("/api/networks").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.modes[0]").value("ISOLATED"))
                .andExpect(jsonPath("$.modes[1]").value("LAB"))
                .andExpect(jsonPath("$.limitation").value("NAT needs an uplink"))
                .andExpect(jsonPath("$.hostSubnets[0]").value("192.0.2.0/24"))
                .andExpect(jsonPath("$.switches[0]").value("a1b2c3d4"));
    }

    @Test
    void aPoolsNetworkIsReadAndSet() throws Exception {
        when(networks.get("p-1")).thenReturn(LAB);
        when(networks.set("p-1", new PoolNetworkSettings("LAB", "10.77.0.0/24", null, null, null, true))).thenReturn(LAB);
        mvc.perform(get("/api/pools/p-1/network").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.mode").value("LAB"))
                .andExpect(jsonPath("$.subnet").value("10.77.0.0/24"))
                .andExpect(jsonPath("$.gateway").value("10.77.0.1"))
                .andExpect(jsonPath("$.dhcpLast").value("10.77.0.254"))
                .andExpect(jsonPath("$.nat").value(true))
                .andExpect(jsonPath("$.switchId").value("a1b2c3d4"));
        mvc.perform(put("/api/pools/p-1/network").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"LAB\",\"subnet\":\"10.77.0.0/24\",\"nat\":true}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.switchId").value("a1b2c3d4"));
        verify(networks).set("p-1", new PoolNetworkSettings("LAB", "10.77.0.0/24", null, null, null, true));
    }

    @Test
    void badSettingsAre400NamingTheFieldAndUnknownPoolsAre404() throws Exception {
        when(networks.set(any(), any())).thenThrow(new InvalidInputException(Map.of("subnet",
                "overlaps the host's network 192.0.2.0/24; choose another subnet")));
        mvc.perform(put("/api/pools/p-1/network").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":\"LAB\",\"subnet\":\"192.0.2.0/25\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.code").value("INVALID_INPUT"))
                .andExpect(jsonPath("$.fields.subnet").value(
                        "overlaps the host's network 192.0.2.0/24; choose another subnet"));
        mvc.perform(put("/api/pools/p-1/network").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"mode\":"))
                .andExpect(status().isBadRequest());
        when(networks.get("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        mvc.perform(get("/api/pools/nope/network").with(as("admin"))).andExpect(status().isNotFound());
    }

    @Test
    void onlyAdministratorsMayAndStrangersMustLogIn() throws Exception {
        mvc.perform(get("/api/networks").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(get("/api/pools/p-1/network").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(put("/api/pools/p-1/network").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                .content("{\"mode\":\"NAT\"}")).andExpect(status().isForbidden());
        mvc.perform(get("/api/networks")).andExpect(status().isUnauthorized());
        verifyNoInteractions(networks);
    }
}
