package io.atrium.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * Web settings ({@code atrium.web.*}).
 *
 * @param publicUrl the address users open Atrium at, e.g. {@code https://vdi.example.com}: the console API builds
 *                  gateway URLs from it and the gateway accepts WebSocket upgrades only from this origin (plus
 *                  {@code atrium.gateway.allowed-origins}). Empty (the default): URLs follow the request, and the
 *                  gateway accepts the request's own origin only (same-origin).
 */
@ConfigurationProperties("atrium.web")
public record WebProperties(@DefaultValue("") String publicUrl) {

    public WebProperties {
        publicUrl = publicUrl == null ? "" : publicUrl.strip();
        while (publicUrl.endsWith("/")) {
            publicUrl = publicUrl.substring(0, publicUrl.length() - 1);
        }
        if (!publicUrl.isEmpty()) {
            URI u = URI.create(publicUrl);
            if (u.getScheme() == null || u.getHost() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                throw new IllegalArgumentException("atrium.web.public-url must be an http(s) URL, not " + publicUrl);
            }
        }
    }

    /** The origin ({@code scheme://host[:port]}) of the public URL, if one is configured. */
    public Optional<String> publicOrigin() {
        if (publicUrl.isEmpty()) {
            return Optional.empty();
        }
        URI u = URI.create(publicUrl);
        return Optional.of((u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : ""))
                .toLowerCase(Locale.ROOT));
    }
}
