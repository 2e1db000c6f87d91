package io.atrium.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Gateway settings. Bindable by Spring Boot as {@code atrium.gateway.*} (register with
 * {@code @EnableConfigurationProperties(GatewaySettings.class)}); plain code uses
 * {@link #defaults()} or the constructor. The Spring annotations are optional at runtime.
 *
 * @param idleTimeout close a console connection when nothing was sent either way for this long
 *                    ({@code atrium.gateway.idle-timeout}, default 5 minutes)
 * @param maxFrameSize largest browser-to-VM WebSocket frame payload handed to the relay at once, in
 *                     bytes; larger frames are split, so this bounds per-connection memory rather than
 *                     rejecting anything ({@code atrium.gateway.max-frame-size}, default 65536)
 * @param relayBufferSize size of the VM-to-browser read buffer, i.e. the largest binary message sent
 *                        to the browser ({@code atrium.gateway.relay-buffer-size}, default 65536)
 * @param allowedOrigins allowed values of the {@code Origin} request header, e.g.
 *                       {@code https://vdi.example.com}; compared case-insensitively, ignoring a
 *                       trailing slash. {@value #SAME_ORIGIN} allows the upgrade request's own origin (its
 *                       scheme and {@code Host}), {@value #NO_ORIGIN} requests without the header
 *                       (non-browser clients: browsers always send it on a WebSocket upgrade),
 *                       {@value #ANY_ORIGIN} any origin. Empty (the default) skips
 *                       the origin check entirely. When not empty, a request without an {@code Origin} header
 *                       is refused unless {@value #NO_ORIGIN} is listed.
 */
@ConfigurationProperties(prefix = "atrium.gateway")
public record GatewaySettings(
        @DefaultValue("5m") Duration idleTimeout,
        @DefaultValue("65536") int maxFrameSize,
        @DefaultValue("65536") int relayBufferSize,
        @DefaultValue List<String> allowedOrigins) {

    /** The entry of {@link #allowedOrigins()} that allows the request's own origin. */
    public static final String SAME_ORIGIN = "same-origin";
    /** The entry of {@link #allowedOrigins()} that allows requests without an {@code Origin} header. */
    public static final String NO_ORIGIN = "no-origin";
    /** The entry of {@link #allowedOrigins()} that allows any origin (no check, even without the header). */
    public static final String ANY_ORIGIN = "*";

    /** Default idle timeout: 5 minutes. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Default maximum frame size: 64 KiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 64 * 1024;
    /** Default relay buffer size: 64 KiB. */
    public static final int DEFAULT_RELAY_BUFFER_SIZE = 64 * 1024;

    public GatewaySettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        if (maxFrameSize < 1024) {
            throw new IllegalArgumentException("maxFrameSize must be at least 1024: " + maxFrameSize);
        }
        if (relayBufferSize < 1024) {
            throw new IllegalArgumentException("relayBufferSize must be at least 1024: " + relayBufferSize);
        }
        allowedOrigins = allowedOrigins == null ? List.of()
                : allowedOrigins.stream().map(GatewaySettings::normalizeOrigin).distinct().toList();
        for (String origin : allowedOrigins) {
            if (origin.isEmpty()) {
                throw new IllegalArgumentException("allowedOrigins must not contain blank entries");
            }
        }
    }

    /** Settings with all defaults and no origin check. */
    public static GatewaySettings defaults() {
        return new GatewaySettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_FRAME_SIZE, DEFAULT_RELAY_BUFFER_SIZE, List.of());
    }

    /** A copy of these settings with the given allowed origins. */
    public GatewaySettings withAllowedOrigins(List<String> origins) {
        return new GatewaySettings(idleTimeout, maxFrameSize, relayBufferSize, origins);
    }

    /** A copy of these settings with the given idle timeout. */
    public GatewaySettings withIdleTimeout(Duration timeout) {
        return new GatewaySettings(timeout, maxFrameSize, relayBufferSize, allowedOrigins);
    }

    /**
     * Whether a request with this {@code Origin} header may open a console.
     *
     * @param origin the header value, {@code null} if absent
     * @return {@code true} if no origins are configured or the origin is one of them
     */
    public boolean isOriginAllowed(String origin) {
        return isOriginAllowed(origin, null);
    }

    /**
     * Whether a request with this {@code Origin} header may open a console.
     *
     * @param origin        the header value, {@code null} if absent
     * @param requestOrigin the upgrade request's own origin ({@code scheme://host[:port]}), for
     *                      {@value #SAME_ORIGIN}; {@code null} if unknown
     */
    public boolean isOriginAllowed(String origin, String requestOrigin) {
        if (allowedOrigins.isEmpty() || allowedOrigins.contains(ANY_ORIGIN)) {
            return true;
        }
        if (origin == null) {
            return allowedOrigins.contains(NO_ORIGIN);
        }
        String o = normalizeOrigin(origin);
        return allowedOrigins.contains(o) || (allowedOrigins.contains(SAME_ORIGIN) && requestOrigin != null
                && o.equals(normalizeOrigin(requestOrigin)));
    }

    private static String normalizeOrigin(String origin) {
        String normalized = Objects.requireNonNull(origin, "allowed origin").strip().toLowerCase(Locale.ROOT);
        while (normalized.endsWith("/")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        return normalized;
    }
}
