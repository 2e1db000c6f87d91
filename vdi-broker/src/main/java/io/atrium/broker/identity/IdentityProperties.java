package io.atrium.broker.identity;

import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Identity settings ({@code atrium.broker.identity.*}).
 *
 * @param demoUsers       create the demo accounts (alice, bob, carol: group {@code demo}; admin: administrator, the
 *                        passwords equal the names); {@code null} (the default) follows {@code atrium.broker.demo.enabled}
 * @param initialAdmin    the account created at the first start without demo users, with a random one-time password
 *                        printed to the log once, to be changed at first login
 * @param secretKeyFile   the AES key that encrypts TOTP secrets in the database (made once, mode 0600); default
 *                        {@code <atrium.broker.data-dir>/identity.key}
 * @param mfaIssuer       the issuer shown by authenticator apps
 * @param passwordMinLength the shortest password a local account may get
 * @param tokenMaxLifetime the longest lifetime of an API token
 * @param lockout         the brute-force guard
 */
@Validated
@ConfigurationProperties("atrium.broker.identity")
public record IdentityProperties(
        Boolean demoUsers,
        @NotBlank @DefaultValue("admin") String initialAdmin,
        Path secretKeyFile,
        @NotBlank @DefaultValue("Atrium") String mfaIssuer,
        @Min(8) @Max(128) @DefaultValue("10") int passwordMinLength,
        @NotNull @DefaultValue("365d") Duration tokenMaxLifetime,
        @Valid @NotNull @DefaultValue Lockout lockout) {

    /**
     * The brute-force guard. Failures are counted per client address and per account; each count resets after
     * {@code window} without failures, or at a successful login. From {@code backoffAfter} failures on, each further
     * attempt is refused until a delay has passed ({@code backoffBase} doubling per failure, at most
     * {@code lockoutDuration}); from {@code lockoutAfter} failures on, the key is locked for {@code lockoutDuration}.
     * An address is locked before it could make its account even back off ({@code address-lockout-after} is below
     * {@code account-backoff-after}), so a single attacker never slows the real user down; many addresses together
     * can lock the account, but only for {@code lockoutDuration} at a time.
     */
    public record Lockout(
            @Min(1) @DefaultValue("3") int addressBackoffAfter,
            @Min(1) @DefaultValue("10") int addressLockoutAfter,
            @Min(1) @DefaultValue("12") int accountBackoffAfter,
            @Min(1) @DefaultValue("20") int accountLockoutAfter,
            @NotNull @DefaultValue("1s") Duration backoffBase,
            @NotNull @DefaultValue("15m") Duration lockoutDuration,
            @NotNull @DefaultValue("15m") Duration window) {

        @AssertTrue(message = "lockout-after must not be below backoff-after, and address-lockout-after must be below account-backoff-after")
        public boolean isConsistent() {
            return addressLockoutAfter >= addressBackoffAfter && accountLockoutAfter >= accountBackoffAfter
                    && addressLockoutAfter < accountBackoffAfter;
        }
    }
}
