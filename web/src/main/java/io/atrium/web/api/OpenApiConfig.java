package io.atrium.web.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document of the REST API, served by springdoc at {@code /api/openapi.json} (without login). Every
 * endpoint needs an API token (bearer) or HTTP Basic; administration endpoints need {@code ROLE_ADMIN}, checked by
 * the services as in the UI.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfig {

    @Bean
    OpenAPI atriumOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Atrium API").version("0.1")
                        .description("Pools, desktops, sessions, GPUs, users, tokens and the audit log of Atrium. Authenticate with a personal "
                                + "API token (Authorization: Bearer atr_..., made under My account or POST /api/me/tokens) "
                                + "or HTTP Basic (rate-limited like every login; not for accounts with two-step verification); "
                                + "too many failures answer 429 with Retry-After; "
                                + "/api/pools, /api/desktops, /api/sessions and /api/gpus need the ADMIN role, /api/me the caller's "
                                + "own desktops. Errors are RFC 9457 problem details with a code; bad input is 400 with "
                                + "fields (field -> message), a missing thing 404, an illegal state change 409."))
                .components(new Components()
                        .addSecuritySchemes("bearerToken", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer"))
                        .addSecuritySchemes("basicAuth", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic")))
                .addSecurityItem(new SecurityRequirement().addList("bearerToken"))
                .addSecurityItem(new SecurityRequirement().addList("basicAuth"));
    }
}
