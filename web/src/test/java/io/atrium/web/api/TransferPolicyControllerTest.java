package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.broker.transfer.TransferPolicyService.TransferPolicyInput;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;

import java.util.Map;

import static io.atrium.web.api.ApiSlice.as;
import static io.atrium.web.api.ApiSlice.mockOf;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** {@code /api/pools/{id}/transfer-policy}: JSON shape, field errors, 404, administrators only. */
@WebMvcTest(TransferPolicyController.class)
@ApiSlice.ApiSecurity
class TransferPolicyControllerTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class Services {
        @Bean
        TransferPolicyService transferPolicyService() {
            return mock(TransferPolicyService.class);
        }
    }

    static final TransferPolicy POLICY = new TransferPolicy(TransferPolicy.ClipboardMode.BROWSER_TO_GUEST, 4096,
            TransferPolicy.FileMode.DOWNLOAD, 1 << 20);

    @Autowired MockMvc mvc;
    @Autowired TransferPolicyService service;
    TransferPolicyService policies;

    @BeforeEach
    void unwrap() {
        policies = mockOf(service);
        reset(policies);
    }

    @Test
    void anAdministratorReadsAndReplacesAPoolsPolicy() throws Exception {
        when(policies.policy("p-1")).thenReturn(POLICY);
        mvc.perform(get("/api/pools/p-1/transfer-policy").with(as("admin")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.clipboard").value("BROWSER_TO_GUEST"))
                .andExpect(jsonPath("$.clipboardMaxBytes").value(4096))
                .andExpect(jsonPath("$.files").value("DOWNLOAD"))
                .andExpect(jsonPath("$.fileMaxBytes").value(1 << 20));

        TransferPolicyInput input = new TransferPolicyInput("BROWSER_TO_GUEST", 4096, "DOWNLOAD", 1048576L);
        when(policies.update("p-1", input)).thenReturn(POLICY);
        mvc.perform(put("/api/pools/p-1/transfer-policy").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"clipboard\":\"BROWSER_TO_GUEST\",\"clipboardMaxBytes\":4096,"
                                + "\"files\":\"DOWNLOAD\",\"fileMaxBytes\":1048576}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.files").value("DOWNLOAD"));
        verify(policies).update("p-1", input);
    }

    @Test
    void badFieldsAre400WithTheirNamesAndAnUnknownPoolIs404() throws Exception {
        when(policies.update(anyString(), any())).thenThrow(new InvalidInputException(Map.of("clipboard", "must be …")));
        mvc.perform(put("/api/pools/p-1/transfer-policy").with(as("admin")).contentType(MediaType.APPLICATION_JSON)
                        .content("{\"clipboard\":\"SIDEWAYS\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.clipboard").value("must be …"));
        mvc.perform(put("/api/pools/p-1/transfer-policy").with(as("admin")).contentType(MediaType.APPLICATION_JSON))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.fields.policy").exists());
        when(policies.policy("nope")).thenThrow(BrokerException.notFound("Pool nope"));
        mvc.perform(get("/api/pools/nope/transfer-policy").with(as("admin"))).andExpect(status().isNotFound());
    }

    @Test
    void plainUsersAndAnonymousCallersGetNothing() throws Exception {
        mvc.perform(get("/api/pools/p-1/transfer-policy").with(as("alice"))).andExpect(status().isForbidden());
        mvc.perform(put("/api/pools/p-1/transfer-policy").with(as("alice")).contentType(MediaType.APPLICATION_JSON)
                .content("{}")).andExpect(status().isForbidden());
        mvc.perform(get("/api/pools/p-1/transfer-policy")).andExpect(status().isUnauthorized());
        verifyNoInteractions(policies);
    }
}
