package io.atrium.e2e;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;

import java.util.List;
import java.util.Map;

/**
 * A real OpenID Connect provider for the SSO test: Spring Authorization Server (Boot's auto-configuration: the
 * authorization code flow, ID tokens signed with a generated key, discovery at /.well-known/openid-configuration)
 * in its own JVM started by the test (as an identity provider is its own server), on its own port at 127.0.0.1
 * (another host than Atrium's localhost, so the two session cookies do not collide), with a form login and one user.
 */
public final class OidcProvider implements AutoCloseable {
    /** The provider's user, her password and groups (the ID token's {@code groups} claim). */
    public static final String USER = "olivia";
    public static final String PASSWORD = "olivia-at-the-idp";
    public static final List<String> GROUPS = List.of("demo", "sso-users");
    public static final String CLIENT_ID = "atrium";
    public static final String CLIENT_SECRET = "atrium-client-secret";

    private final Process process;
    private final int port;

    private OidcProvider(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts the provider in a new JVM on {@code port}, accepting Atrium's redirect to {@code atriumBaseUrl}, and waits
     * until its discovery document answers. Its output goes to {@code target/oidc-provider.log}.
     */
    public static OidcProvider start(int port, String atriumBaseUrl) throws java.io.IOException {
        java.nio.file.Path log = java.nio.file.Path.of("target", "oidc-provider.log").toAbsolutePath();
        java.nio.file.Files.createDirectories(log.getParent());
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                OidcProvider.class.getName(), Integer.toString(port), atriumBaseUrl)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        OidcProvider provider = new OidcProvider(p, port);
        var http = java.net.http.HttpClient.newHttpClient();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("the OIDC provider exited with " + p.exitValue() + "; see " + log);
            }
            try {
                var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(provider.issuer()
                        + "/.well-known/openid-configuration")).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return provider;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("the OIDC provider did not answer within 120 s; see " + log);
            }
            try {
                Thread.sleep(200); // polling a condition (the provider answers), not waiting for something to be absent
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The provider's own JVM: {@code OidcProvider <port> <atriumBaseUrl>}. */
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        String atriumBaseUrl = args[1];
        new SpringApplicationBuilder(App.class).run(
                "--server.port=" + port,
                "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off",
                "--spring.application.name=test-oidc-provider",
                "--spring.autoconfigure.exclude=" + String.join(",",
                        "com.vaadin.flow.spring.SpringBootAutoConfiguration",
                        "com.vaadin.flow.spring.SpringSecurityAutoConfiguration",
                        "com.vaadin.flow.spring.VaadinScopesConfig",
                        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
                        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"),
                "--spring.security.oauth2.authorizationserver.issuer=http://127.0.0.1:" + port,
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.client-id=" + CLIENT_ID,
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.client-secret={noop}" + CLIENT_SECRET,
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.client-authentication-methods=client_secret_basic",
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.authorization-grant-types=authorization_code",
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.redirect-uris="
                        + atriumBaseUrl + "/login/oauth2/code/idp",
                "--spring.security.oauth2.authorizationserver.client.atrium.registration.scopes=openid,profile",
                "--spring.security.oauth2.authorizationserver.client.atrium.require-authorization-consent=false");
    }

    public String issuer() {
        return "http://127.0.0.1:" + port;
    }

    /** Atrium's client registration {@code idp} for this provider, as command-line properties. */
    public List<String> atriumProperties() {
        String p = "--spring.security.oauth2.client.";
        return List.of(
                p + "registration.idp.client-id=" + CLIENT_ID,
                p + "registration.idp.client-secret=" + CLIENT_SECRET,
                p + "registration.idp.client-name=Test IdP",
                p + "registration.idp.scope=openid,profile",
                p + "registration.idp.authorization-grant-type=authorization_code",
                p + "registration.idp.redirect-uri={baseUrl}/login/oauth2/code/{registrationId}",
                p + "provider.idp.issuer-uri=" + issuer());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The provider application: Boot's authorization server auto-configuration plus a user and her claims. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        UserDetailsService users() {
            return new InMemoryUserDetailsManager(User.withUsername(USER).password("{noop}" + PASSWORD).roles("USER").build());
        }

        /** The ID token says who she is in the claims Atrium maps: preferred_username, name, groups. */
        @Bean
        OAuth2TokenCustomizer<JwtEncodingContext> idTokenClaims() {
            return context -> {
                if ("id_token".equals(context.getTokenType().getValue())) {
                    String user = context.getPrincipal().getName();
                    context.getClaims().claims(c -> c.putAll(Map.of("preferred_username", user,
                            "name", "Olivia Provider", "groups", GROUPS)));
                }
            };
        }
    }
}
