package io.atrium.web.api;

import io.atrium.broker.BrokerException;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Any {@code /api/**} path no controller maps: a JSON 404 problem (through {@link ApiErrors}), not the Vaadin page
 * the catch-all servlet would serve. The least specific mapping, so every real endpoint wins.
 */
@RestController
@io.swagger.v3.oas.annotations.Hidden
class ApiNotFoundController {
    @RequestMapping("/api/**")
    Object notFound(jakarta.servlet.http.HttpServletRequest request) {
        throw BrokerException.notFound("API path " + request.getRequestURI());
    }
}
