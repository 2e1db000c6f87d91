package io.atrium.broker.identity;

import io.atrium.broker.UserDirectory;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the web app's authentication asks who someone is: password check of local accounts, second-factor check,
 * recording of directory and SSO logins, the current groups of a user. Internal: these calls happen before anyone is
 * logged in, so they take the claimed user name; every one is guarded by {@link LoginGuard} and audited.
 *
 * <p>Invariants: passwords are stored only as adaptive hashes ({@code {bcrypt}}); an unknown user costs the same hash
 * check as a known one; a directory or SSO login never takes over a local account of the same name; nothing here
 * caches an account, so a disabled account stops working at its next request.
 */
@Service
public class IdentityService implements UserDirectory {
    static final String REQUIRE_MFA_FOR_ADMINS = "require-mfa-for-admins";
    /** How often a successful Basic or token login of the same account is written to the audit log, at most. */
    static final Duration LOGIN_AUDIT_INTERVAL = Duration.ofMinutes(1);

    private final AccountRepository accounts;
    private final LoginGuard guard;
    private final SecretBox secrets;
    private final AuditLog audit;
    private final Clock clock;
    private final PasswordEncoder passwords = PasswordEncoderFactories.createDelegatingPasswordEncoder();
    private final String dummyHash;

    IdentityService(AccountRepository accounts, LoginGuard guard, SecretBox secrets, AuditLog audit, Clock clock) {
        this.accounts = accounts;
        this.guard = guard;
        this.secrets = secrets;
        this.audit = audit;
        this.clock = clock;
        this.dummyHash = passwords.encode(Hashes.randomUrlSafe(16));
    }

    /**
     * Checks a local account's password.
     *
     * @param method {@code form} or {@code basic}, for the audit log
     * @throws LoginRefusedException BAD_CREDENTIALS (unknown user, not a local account, wrong password), DISABLED,
     *                               THROTTLED (before the password is even looked at)
     */
    public Account authenticatePassword(String username, String password, String client, String method) {
        String name = username == null ? "" : username.strip();
        try {
            guard.check(client, name);
        } catch (LoginRefusedException throttled) {
            audit.recordAs(actor(name), client, "login.throttled", AuditEvent.Outcome.DENIED, "user", name,
                    Map.of("method", method));
            throw throttled;
        }
        Optional<AccountRepository.Row> row = accounts.find(name);
        boolean local = row.isPresent() && row.get().source() == AccountSource.LOCAL && row.get().passwordHash() != null;
        boolean matches = passwords.matches(password == null ? "" : password, local ? row.get().passwordHash() : dummyHash);
        if (!local || !matches) {
            failed(name, client, method, local ? "wrong password" : "unknown account");
            throw LoginRefusedException.badCredentials();
        }
        AccountRepository.Row r = row.get();
        if (!r.enabled()) {
            audit.recordAs(name, client, "login.failure", AuditEvent.Outcome.DENIED, "user", name,
                    Map.of("method", method, "reason", "disabled"));
            throw new LoginRefusedException(LoginRefusedException.Reason.DISABLED, "This account is disabled.", null);
        }
        return toAccount(r);
    }

    /** A failed attempt: counted against the address and the account, audited, lockouts audited separately. */
    public void failed(String username, String client, String method, String why) {
        List<String> locked = guard.failure(client, username);
        audit.recordAs(actor(username), client, "login.failure", AuditEvent.Outcome.FAILURE, "user", username,
                Map.of("method", method, "reason", why));
        for (String key : locked) {
            audit.recordAs(AuditLog.SYSTEM, client, "login.lockout", AuditEvent.Outcome.SUCCESS, "lockout", key,
                    Map.of("method", method));
        }
    }

    /**
     * A login completed (every factor checked): resets the account's failure count and records it. Basic logins
     * repeat on every request, so those are written at most once a minute per account.
     */
    public void succeeded(Account account, String client, String method) {
        guard.success(account.username());
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        boolean interactive = !"basic".equals(method) && !"token".equals(method);
        boolean touched = accounts.touchLogin(account.username(), now,
                interactive ? now.plusSeconds(1) : now.minus(LOGIN_AUDIT_INTERVAL));
        if (interactive || touched) {
            audit.recordAs(account.username(), client, "login.success", AuditEvent.Outcome.SUCCESS, "user",
                    account.username(), Map.of("method", method, "source", account.source().name()));
        }
    }

    /** Throws THROTTLED if attempts from this client (and for this account, if named) must wait. */
    public void checkNotThrottled(String client, String username) {
        guard.check(client, username);
    }

    /**
     * Records a login through a directory or an SSO provider, after that source authenticated the user: the account
     * is created or updated (display name, administrator flag, groups of this source replaced).
     *
     * @throws LoginRefusedException DISABLED if an administrator disabled the account; BAD_CREDENTIALS if a local
     *                               account (or one of another source) has this name
     */
    @Transactional
    public Account recordExternalLogin(String username, AccountSource source, String displayName,
                                       Collection<String> groups, boolean admin, String client) {
        if (source == AccountSource.LOCAL) {
            throw new IllegalArgumentException("not an external source");
        }
        Optional<AccountRepository.Row> existing = accounts.find(username);
        if (existing.isPresent() && existing.get().source() != source) {
            audit.recordAs(username, client, "login.failure", AuditEvent.Outcome.DENIED, "user", username,
                    Map.of("method", source.name().toLowerCase(), "reason", "name taken by a "
                            + existing.get().source() + " account"));
            throw LoginRefusedException.badCredentials();
        }
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        if (existing.isEmpty()) {
            accounts.insert(new AccountRepository.Row(username, displayName, source, null, true, admin, false, null,
                    false, 0, now, now));
            audit.recordAs(AuditLog.SYSTEM, client, "user.create", AuditEvent.Outcome.SUCCESS, "user", username,
                    Map.of("source", source.name(), "admin", admin));
        } else {
            if (!existing.get().enabled()) {
                audit.recordAs(username, client, "login.failure", AuditEvent.Outcome.DENIED, "user", username,
                        Map.of("method", source.name().toLowerCase(), "reason", "disabled"));
                throw new LoginRefusedException(LoginRefusedException.Reason.DISABLED, "This account is disabled.", null);
            }
            accounts.update(username, "display_name", displayName);
            accounts.update(username, "admin", admin);
        }
        Set<String> before = accounts.groupsOf(username);
        accounts.replaceGroups(username, source, groups.stream().filter(IdentityService::isGroupName).toList());
        Set<String> after = accounts.groupsOf(username);
        if (!before.equals(after) && existing.isPresent()) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("before", before);
            detail.put("after", after);
            audit.recordAs(AuditLog.SYSTEM, client, "user.groups", AuditEvent.Outcome.SUCCESS, "user", username, detail);
        }
        return toAccount(accounts.find(username).orElseThrow());
    }

    /** Group names as they may appear in entitlements ({@code group:NAME}). */
    static boolean isGroupName(String g) {
        return g != null && g.matches("[A-Za-z0-9._@-]{1,100}");
    }

    public Optional<Account> find(String username) {
        return accounts.find(username).map(this::toAccount);
    }

    /**
     * The groups a known user is in now (local memberships, and for directory/SSO accounts the groups of their last
     * login); empty for a name the identity store does not know.
     */
    @Override
    public Optional<Set<String>> currentGroups(String username) {
        return accounts.find(username).map(r -> accounts.groupsOf(r.username()));
    }

    /** Whether this known account is enabled; empty for a name the store does not know. */
    @Override
    public Optional<Boolean> isEnabled(String username) {
        return accounts.find(username).map(AccountRepository.Row::enabled);
    }

    /** Whether administrators must log in with a second factor (a setting administrators change). */
    public boolean mfaRequiredForAdmins() {
        return accounts.setting(REQUIRE_MFA_FOR_ADMINS).map(Boolean::parseBoolean).orElse(false);
    }

    /** Whether this account's login needs a TOTP code after the password (local accounts only). */
    public boolean needsSecondFactor(Account a) {
        return a.source() == AccountSource.LOCAL && (a.mfaEnabled() || (a.admin() && mfaRequiredForAdmins()));
    }

    /** Whether the account must enrol an authenticator before it may log in (an administrator without one). */
    public boolean mustEnrolSecondFactor(Account a) {
        return a.source() == AccountSource.LOCAL && !a.mfaEnabled() && a.admin() && mfaRequiredForAdmins();
    }

    /**
     * Checks the second factor of a login whose password was checked: a TOTP code (each used once) or an unused
     * recovery code (then used up). Guarded and audited like a password.
     *
     * @throws LoginRefusedException THROTTLED or BAD_CREDENTIALS
     */
    public void verifySecondFactor(String username, String code, String client) {
        guard.check(client, username);
        AccountRepository.Row r = accounts.find(username).orElseThrow(LoginRefusedException::badCredentials);
        if (!r.totpEnabled() || r.totpSecret() == null) {
            throw LoginRefusedException.badCredentials();
        }
        String c = code == null ? "" : code.replace(" ", "").replace("-", "").strip().toLowerCase();
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        OptionalLong step = Totp.verify(secrets.open(r.totpSecret()), c, now, r.totpLastStep());
        if (step.isPresent() && accounts.advanceTotpStep(username, step.getAsLong())) {
            return;
        }
        if (c.length() == MfaService.RECOVERY_CODE_LENGTH && accounts.useRecoveryCode(username, Hashes.sha256(c), now)) {
            audit.recordAs(username, client, "mfa.recovery-code", AuditEvent.Outcome.SUCCESS, "user", username,
                    Map.of("left", accounts.unusedRecoveryCodes(username)));
            return;
        }
        failed(username, client, "totp", step.isPresent() ? "code already used" : "wrong code");
        throw new LoginRefusedException(LoginRefusedException.Reason.BAD_CREDENTIALS, "The code is not valid.", null);
    }

    Account toAccount(AccountRepository.Row r) {
        return new Account(r.username(), r.displayName() == null ? r.username() : r.displayName(), r.source(),
                r.enabled(), r.admin(), r.mustChangePassword(), r.totpEnabled(), new TreeSet<>(accounts.groupsOf(r.username())),
                r.createdAt(), r.lastLoginAt());
    }

    PasswordEncoder passwordEncoder() {
        return passwords;
    }

    private static String actor(String username) {
        return username == null || username.isBlank() ? "anonymous" : username;
    }
}
