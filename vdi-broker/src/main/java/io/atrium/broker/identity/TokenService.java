package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Personal access tokens for the REST API ({@code Authorization: Bearer atr_…}).
 *
 * <p>Invariants: a token is 256 random bits, shown once; only its SHA-256 is stored (a fast hash is right for a
 * random secret of that size, and is what makes a token check cheap next to a password's bcrypt); it belongs to one
 * account, has a scope, an expiry and can be revoked. Every request looks the token and its account up again:
 * nothing is cached, so a revoked token, an expired one or one of a disabled account fails at its next use. Unknown
 * tokens count as failed logins of the client address ({@link LoginGuard}). Use is audited ({@code token.use}) at
 * most once a minute per token, when {@code last_used_at} is written.
 */
@Service
public class TokenService {
    public static final String PREFIX = "atr_";
    static final Duration USE_RECORD_INTERVAL = Duration.ofMinutes(1);

    private final JdbcClient jdbc;
    private final IdentityService identity;
    private final LoginGuard guard;
    private final IdentityProperties props;
    private final AuditLog audit;
    private final Clock clock;

    TokenService(JdbcClient jdbc, IdentityService identity, LoginGuard guard, IdentityProperties props, AuditLog audit,
                 Clock clock) {
        this.jdbc = jdbc;
        this.identity = identity;
        this.guard = guard;
        this.props = props;
        this.audit = audit;
        this.clock = clock;
    }

    private static ApiToken row(ResultSet rs, int i) throws SQLException {
        return new ApiToken(rs.getString("id"), rs.getString("username"), rs.getString("name"),
                ApiToken.Scope.valueOf(rs.getString("scope")), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("expires_at").toInstant(), instant(rs.getTimestamp("last_used_at")),
                instant(rs.getTimestamp("revoked_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    /**
     * Creates a token for the caller.
     *
     * @param lifetime how long it is valid, at most {@code atrium.broker.identity.token-max-lifetime}
     * @throws InvalidInputException {@code name}, {@code scope} (ADMIN for a non-administrator) or {@code lifetime}
     */
    @PreAuthorize("isAuthenticated()")
    public ApiToken.Created create(String name, ApiToken.Scope scope, Duration lifetime) {
        CurrentUser user = CurrentUser.get();
        Map<String, String> errors = new LinkedHashMap<>();
        String n = name == null ? "" : name.strip();
        if (n.isEmpty() || n.length() > 100 || !n.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            errors.put("name", "must be 1 to 100 printable characters");
        }
        if (scope == null) {
            errors.put("scope", "must be USER or ADMIN");
        } else if (scope == ApiToken.Scope.ADMIN && !user.admin()) {
            errors.put("scope", "ADMIN needs an administrator");
        }
        if (lifetime == null || lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(props.tokenMaxLifetime()) > 0) {
            errors.put("lifetime", "must be positive and at most " + props.tokenMaxLifetime().toDays() + " days");
        }
        if (identity.find(user.name()).isEmpty()) {
            errors.put("user", "only accounts known to Atrium can have tokens");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        String value = PREFIX + Hashes.randomUrlSafe(32);
        ApiToken t = new ApiToken(UUID.randomUUID().toString(), user.name(), n, scope, now, now.plus(lifetime), null, null);
        jdbc.sql("""
                        insert into api_token (id, username, name, token_hash, scope, created_at, expires_at)
                        values (?, ?, ?, ?, ?, ?, ?)""")
                .params(t.id(), t.username(), t.name(), Hashes.sha256(value), t.scope().name(), Timestamp.from(now),
                        Timestamp.from(t.expiresAt()))
                .update();
        audit.record("token.create", "token", t.id(), Map.of("name", n, "scope", scope.name(),
                "expiresAt", t.expiresAt().toString()));
        return new ApiToken.Created(t, value);
    }

    /** The caller's tokens, newest first (revoked and expired ones too). */
    @PreAuthorize("isAuthenticated()")
    public List<ApiToken> mine() {
        return jdbc.sql("select * from api_token where username = ? order by created_at desc")
                .param(CurrentUser.get().name()).query(TokenService::row).list();
    }

    /** Revokes one of the caller's tokens; NOT_FOUND if it is not theirs. */
    @PreAuthorize("isAuthenticated()")
    public ApiToken revokeMine(String id) {
        ApiToken t = byId(id).filter(x -> x.username().equals(CurrentUser.get().name()))
                .orElseThrow(() -> BrokerException.notFound("Token " + id));
        return revoke(t);
    }

    /** Every token (administrators). */
    @PreAuthorize("hasRole('ADMIN')")
    public List<ApiToken> all() {
        return jdbc.sql("select * from api_token order by created_at desc").query(TokenService::row).list();
    }

    /** Revokes any token (administrators). */
    @PreAuthorize("hasRole('ADMIN')")
    public ApiToken revokeAny(String id) {
        return revoke(byId(id).orElseThrow(() -> BrokerException.notFound("Token " + id)));
    }

    private ApiToken revoke(ApiToken t) {
        if (t.revokedAt() != null) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "Token " + t.name() + " was revoked already");
        }
        jdbc.sql("update api_token set revoked_at = ? where id = ? and revoked_at is null")
                .params(Timestamp.from(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS)), t.id()).update();
        audit.record("token.revoke", "token", t.id(), Map.of("name", t.name(), "owner", t.username()));
        return byId(t.id()).orElseThrow();
    }

    private Optional<ApiToken> byId(String id) {
        return jdbc.sql("select * from api_token where id = ?").param(id).query(TokenService::row).optional();
    }

    /**
     * Internal (the API's bearer filter): who the token authenticates. Looked up afresh every time.
     *
     * @throws LoginRefusedException THROTTLED (too many bad tokens from this client), BAD_CREDENTIALS (unknown),
     *                               TOKEN_EXPIRED (expired or revoked), DISABLED (its account is)
     */
    public ApiToken.Grant authenticate(String value, String client) {
        guard.check(client, null);
        if (value == null || !value.startsWith(PREFIX) || value.length() > 100) {
            refused(client, null, "malformed token");
            throw LoginRefusedException.badCredentials();
        }
        Optional<ApiToken> found = jdbc.sql("select * from api_token where token_hash = ?").param(Hashes.sha256(value))
                .query(TokenService::row).optional();
        if (found.isEmpty()) {
            refused(client, null, "unknown token");
            throw new LoginRefusedException(LoginRefusedException.Reason.BAD_CREDENTIALS, "The token is not valid.", null);
        }
        ApiToken t = found.get();
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        if (!t.activeAt(now)) {
            refused(client, t, t.revokedAt() != null ? "revoked" : "expired");
            throw new LoginRefusedException(LoginRefusedException.Reason.TOKEN_EXPIRED,
                    "The token " + (t.revokedAt() != null ? "was revoked." : "expired."), null);
        }
        Account account = identity.find(t.username()).orElseThrow(LoginRefusedException::badCredentials);
        if (!account.enabled()) {
            audit.recordAs(t.username(), client, "token.use", AuditEvent.Outcome.DENIED, "token", t.id(),
                    Map.of("reason", "account disabled"));
            throw new LoginRefusedException(LoginRefusedException.Reason.DISABLED, "This account is disabled.", null);
        }
        int touched = jdbc.sql("update api_token set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?)")
                .params(Timestamp.from(now), t.id(), Timestamp.from(now.minus(USE_RECORD_INTERVAL))).update();
        if (touched > 0) {
            audit.recordAs(t.username(), client, "token.use", AuditEvent.Outcome.SUCCESS, "token", t.id(),
                    Map.of("name", t.name(), "scope", t.scope().name()));
        }
        return new ApiToken.Grant(account, t);
    }

    private void refused(String client, ApiToken t, String why) {
        guard.failure(client, null).forEach(key -> audit.recordAs(AuditLog.SYSTEM, client, "login.lockout",
                AuditEvent.Outcome.SUCCESS, "lockout", key, Map.of("method", "token")));
        audit.recordAs(t == null ? "anonymous" : t.username(), client, "token.use", AuditEvent.Outcome.FAILURE, "token",
                t == null ? null : t.id(), Map.of("reason", why));
    }
}
