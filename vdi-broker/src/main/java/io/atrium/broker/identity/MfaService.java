package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * TOTP enrolment for local accounts: a new secret (kept encrypted, not active until a code from it is confirmed),
 * then ten recovery codes shown once (only their hashes are kept). The {@code *For} variants serve the login flow of
 * an administrator who must enrol before the login completes (the web app calls them after the password step); the
 * others act on the caller.
 */
@Service
public class MfaService {
    static final int RECOVERY_CODES = 10;
    static final int RECOVERY_CODE_LENGTH = 16;

    /**
     * A started enrolment: what the authenticator app needs. The secret is shown to its owner once, never logged.
     *
     * @param otpauthUri what the QR code encodes
     */
    public record Enrolment(String username, String secretBase32, String otpauthUri) {
        @Override
        public String toString() {
            return "Enrolment[" + username + "]";
        }
    }

    private final AccountRepository accounts;
    private final SecretBox secrets;
    private final IdentityProperties props;
    private final AuditLog audit;
    private final Clock clock;

    MfaService(AccountRepository accounts, SecretBox secrets, IdentityProperties props, AuditLog audit, Clock clock) {
        this.accounts = accounts;
        this.secrets = secrets;
        this.props = props;
        this.audit = audit;
        this.clock = clock;
    }

    /** Starts (or restarts, while not confirmed) the caller's enrolment; refused while an authenticator is enrolled. */
    @PreAuthorize("isAuthenticated()")
    public Enrolment begin() {
        return beginFor(CurrentUser.get().name());
    }

    /** Confirms the caller's enrolment with a code from the new authenticator; returns the recovery codes, once. */
    @PreAuthorize("isAuthenticated()")
    public List<String> confirm(String code) {
        return confirmFor(CurrentUser.get().name(), code);
    }

    /** Turns the caller's second factor off (needs a current code); refused while administrators must use one. */
    @PreAuthorize("isAuthenticated()")
    @Transactional
    public void disable(String code) {
        String user = CurrentUser.get().name();
        AccountRepository.Row r = local(user);
        if (!r.totpEnabled()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "No authenticator is enrolled.");
        }
        if (r.admin() && accounts.setting(IdentityService.REQUIRE_MFA_FOR_ADMINS).map(Boolean::parseBoolean).orElse(false)) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Administrators must keep a second factor.");
        }
        OptionalLong step = Totp.verify(secrets.open(r.totpSecret()), code, clock.instant(), r.totpLastStep());
        if (step.isEmpty() || !accounts.advanceTotpStep(user, step.getAsLong())) {
            throw InvalidInputException.of("code", "is not a valid code from your authenticator");
        }
        clear(user);
        audit.record("mfa.disable", "user", user, null);
    }

    /** How many unused recovery codes the caller has left. */
    @PreAuthorize("isAuthenticated()")
    public int recoveryCodesLeft() {
        return accounts.unusedRecoveryCodes(CurrentUser.get().name());
    }

    /** Internal (login flow, after the password was checked): starts an enrolment for {@code username}. */
    @Transactional
    public Enrolment beginFor(String username) {
        AccountRepository.Row r = local(username);
        byte[] secret = new byte[20];
        Hashes.RANDOM.nextBytes(secret);
        if (r.totpEnabled()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE,
                    "An authenticator is enrolled already; turn it off first to enrol another.");
        }
        accounts.update(username, "totp_secret", secrets.seal(secret));
        return new Enrolment(username, Totp.Base32.encode(secret), Totp.otpauthUri(props.mfaIssuer(), username, secret));
    }

    /**
     * Internal (login flow): confirms {@code username}'s enrolment with a code from the new authenticator, activates
     * it and returns its recovery codes.
     *
     * @throws InvalidInputException {@code code} when it does not match the new secret
     */
    @Transactional
    public List<String> confirmFor(String username, String code) {
        AccountRepository.Row r = local(username);
        String sealed = r.totpEnabled() ? null : r.totpSecret();
        if (sealed == null) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Start the enrolment first.");
        }
        OptionalLong step = Totp.verify(secrets.open(sealed), code, clock.instant(), 0);
        if (step.isEmpty()) {
            throw InvalidInputException.of("code", "does not match; check the time on your device and type the current code");
        }
        accounts.update(username, "totp_enabled", true);
        accounts.update(username, "totp_last_step", step.getAsLong());
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < RECOVERY_CODES; i++) {
            codes.add(Hashes.readable(RECOVERY_CODE_LENGTH));
        }
        accounts.replaceRecoveryCodes(username, codes.stream().map(Hashes::sha256).toList());
        audit.recordAs(username, null, "mfa.enrol", AuditEvent.Outcome.SUCCESS, "user", username,
                Map.of("recoveryCodes", RECOVERY_CODES));
        return codes;
    }

    /** Removes the second factor and recovery codes (the user or an administrator). */
    void clear(String username) {
        accounts.update(username, "totp_enabled", false);
        accounts.update(username, "totp_secret", null);
        accounts.update(username, "totp_last_step", 0L);
        accounts.replaceRecoveryCodes(username, List.of());
    }

    private AccountRepository.Row local(String username) {
        AccountRepository.Row r = accounts.find(username).orElseThrow(() -> BrokerException.notFound("User " + username));
        if (r.source() != AccountSource.LOCAL) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE,
                    "The second factor of a " + r.source() + " account is its provider's business.");
        }
        return r;
    }
}
