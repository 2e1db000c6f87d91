package io.atrium.web.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;

import java.io.IOException;

/**
 * How the REST API answers a missing or refused credential, as RFC 9457 problem details: 401 with both challenges
 * ({@code Bearer} for tokens, {@code Basic}) or, while the brute-force guard holds the client or account back, 429
 * with {@code Retry-After} (seconds). Also the failure handler of the bearer token filter.
 */
final class ApiAuthenticationEntryPoint implements AuthenticationEntryPoint, AuthenticationFailureHandler {

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        String detail = "Log in: an API token (Authorization: Bearer atr_...) or HTTP Basic.";
        int status = 401;
        String code = "UNAUTHENTICATED";
        if (e instanceof RefusedLoginException refused) {
            detail = refused.getMessage();
            switch (refused.reason()) {
                case THROTTLED -> {
                    status = 429;
                    code = "TOO_MANY_REQUESTS";
                    response.setHeader("Retry-After", Long.toString(refused.retryAfterSeconds()));
                }
                case TOKEN_EXPIRED -> code = "TOKEN_EXPIRED";
                case DISABLED -> code = "ACCOUNT_DISABLED";
                case BAD_CREDENTIALS -> code = "UNAUTHENTICATED";
            }
        }
        if (status == 401) {
            response.addHeader("WWW-Authenticate", "Basic realm=\"Atrium\"");
            response.addHeader("WWW-Authenticate", "Bearer realm=\"Atrium\"");
        }
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + (status == 429 ? "Too Many Requests" : "Unauthorized")
                + "\",\"status\":" + status + ",\"detail\":" + quote(detail) + ",\"code\":\"" + code + "\"}");
    }

    @Override
    public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
                                        AuthenticationException exception) throws IOException {
        commence(request, response, exception);
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
