package io.atrium.web.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The client address a login is counted against: the TCP peer. Forwarded headers are not trusted (a client could
 * pick its own address and escape the brute-force guard); behind a reverse proxy, configure the server's forwarded
 * header handling ({@code server.forward-headers-strategy}), which rewrites the peer address before this sees it.
 */
final class ClientAddress {
    private ClientAddress() {
    }

    static String of(HttpServletRequest request) {
        return request == null ? "unknown" : request.getRemoteAddr();
    }

    /** The current request's, if this runs inside one. */
    static HttpServletRequest currentRequest() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a) {
            return a.getRequest();
        }
        return null;
    }
}
