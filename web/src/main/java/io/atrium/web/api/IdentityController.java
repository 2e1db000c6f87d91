package io.atrium.web.api;

import io.atrium.broker.InvalidInputException;
import io.atrium.broker.identity.Account;
import io.atrium.broker.identity.ApiToken;
import io.atrium.broker.identity.Lockout;
import io.atrium.broker.identity.TokenService;
import io.atrium.broker.identity.UserAdminService;
import io.atrium.broker.pool.PoolSpec;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Users, groups, lockouts and API tokens over REST. Administrators ({@link UserAdminService}, {@code ROLE_ADMIN}):
 * {@code /api/users}, {@code /api/groups}, {@code /api/lockouts}, {@code /api/settings/mfa-required-for-admins},
 * {@code /api/tokens}. Everyone: their own tokens at {@code /api/me/tokens}. A created user's one-time password and a
 * created token's value are in the response once and nowhere else.
 */
@RestController
@RequestMapping("/api")
class IdentityController {
    private final UserAdminService users;
    private final TokenService tokens;

    IdentityController(UserAdminService users, TokenService tokens) {
        this.users = users;
        this.tokens = tokens;
    }

    /** An account: never a password, secret or token. */
    record UserResponse(String username, String displayName, String source, boolean enabled, boolean admin,
                        boolean mustChangePassword, boolean mfaEnabled, Set<String> groups, Instant createdAt,
                        Instant lastLoginAt) {
        static UserResponse of(Account a) {
            return new UserResponse(a.username(), a.displayName(), a.source().name(), a.enabled(), a.admin(),
                    a.mustChangePassword(), a.mfaEnabled(), a.groups(), a.createdAt(), a.lastLoginAt());
        }
    }

    /** Body of {@code POST /api/users}. */
    record NewUserRequest(String username, String displayName, Boolean admin, List<String> groups) {
    }

    /** Body of {@code PUT /api/users/{username}}: fields left out stay as they are. */
    record UserChangeRequest(String displayName, Boolean enabled, Boolean admin, List<String> groups) {
    }

    /** A created user or a reset password: the one-time password, shown once. */
    record UserWithPassword(UserResponse user, String oneTimePassword) {
    }

    record GroupRequest(String name, String description) {
    }

    record SettingRequest(Boolean value) {
    }

    /**
     * Body of {@code POST /api/me/tokens}.
     *
     * @param scope    {@code USER} (default) or {@code ADMIN} (administrators only)
     * @param lifetime ISO-8601 ({@code P30D}) or seconds; default 30 days
     */
    record TokenRequest(String name, String scope, String lifetime) {
    }

    record TokenResponse(String id, String username, String name, String scope, Instant createdAt, Instant expiresAt,
                         Instant lastUsedAt, Instant revokedAt) {
        static TokenResponse of(ApiToken t) {
            return new TokenResponse(t.id(), t.username(), t.name(), t.scope().name(), t.createdAt(), t.expiresAt(),
                    t.lastUsedAt(), t.revokedAt());
        }
    }

    /** A created token with its value ({@code token}), shown once. */
    record CreatedToken(TokenResponse info, String token) {
    }

    @GetMapping("/users")
    List<UserResponse> users() {
        return users.users().stream().map(UserResponse::of).toList();
    }

    @GetMapping("/users/{username}")
    UserResponse user(@PathVariable String username) {
        return UserResponse.of(users.user(username));
    }

    @PostMapping("/users")
    ResponseEntity<UserWithPassword> create(@RequestBody(required = false) NewUserRequest body) {
        if (body == null) {
            throw InvalidInputException.of("user", "is required");
        }
        UserAdminService.WithPassword w = users.create(new UserAdminService.NewUser(body.username(), body.displayName(),
                Boolean.TRUE.equals(body.admin()), body.groups() == null ? List.of() : body.groups()));
        return ResponseEntity.created(URI.create("/api/users/" + w.account().username()))
                .body(new UserWithPassword(UserResponse.of(w.account()), w.oneTimePassword()));
    }

    @PutMapping("/users/{username}")
    UserResponse update(@PathVariable String username, @RequestBody(required = false) UserChangeRequest body) {
        UserChangeRequest b = body == null ? new UserChangeRequest(null, null, null, null) : body;
        return UserResponse.of(users.update(username, new UserAdminService.UserChange(b.displayName(), b.enabled(),
                b.admin(), b.groups())));
    }

    @DeleteMapping("/users/{username}")
    ResponseEntity<Void> delete(@PathVariable String username) {
        users.delete(username);
        return ResponseEntity.noContent().build();
    }

    /** A new one-time password (local accounts); the user must change it at their next login. */
    @PostMapping("/users/{username}/password-reset")
    UserWithPassword resetPassword(@PathVariable String username) {
        UserAdminService.WithPassword w = users.resetPassword(username);
        return new UserWithPassword(UserResponse.of(w.account()), w.oneTimePassword());
    }

    /** Removes the account's authenticator and recovery codes. */
    @PostMapping("/users/{username}/mfa-reset")
    UserResponse resetMfa(@PathVariable String username) {
        return UserResponse.of(users.resetSecondFactor(username));
    }

    @GetMapping("/groups")
    List<UserAdminService.Group> groups() {
        return users.groups();
    }

    @PostMapping("/groups")
    ResponseEntity<UserAdminService.Group> createGroup(@RequestBody(required = false) GroupRequest body) {
        UserAdminService.Group g = users.createGroup(body == null ? null : body.name(), body == null ? null : body.description());
        return ResponseEntity.status(HttpStatus.CREATED).body(g);
    }

    @DeleteMapping("/groups/{name}")
    ResponseEntity<Void> deleteGroup(@PathVariable String name) {
        users.deleteGroup(name);
        return ResponseEntity.noContent().build();
    }

    /** Addresses ({@code addr:…}) and accounts ({@code user:…}) with recent failures or a running lock. */
    @GetMapping("/lockouts")
    List<Lockout> lockouts() {
        return users.lockouts();
    }

    @DeleteMapping("/lockouts/{key}")
    ResponseEntity<Void> clearLockout(@PathVariable String key) {
        users.clearLockout(key);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/settings/mfa-required-for-admins")
    SettingRequest mfaRequired() {
        return new SettingRequest(users.mfaRequiredForAdmins());
    }

    @PutMapping("/settings/mfa-required-for-admins")
    SettingRequest setMfaRequired(@RequestBody(required = false) SettingRequest body) {
        if (body == null || body.value() == null) {
            throw InvalidInputException.of("value", "must be true or false");
        }
        users.requireMfaForAdmins(body.value());
        return new SettingRequest(users.mfaRequiredForAdmins());
    }

    @GetMapping("/me/tokens")
    List<TokenResponse> myTokens() {
        return tokens.mine().stream().map(TokenResponse::of).toList();
    }

    @PostMapping("/me/tokens")
    ResponseEntity<CreatedToken> createToken(@RequestBody(required = false) TokenRequest body) {
        TokenRequest b = body == null ? new TokenRequest(null, null, null) : body;
        ApiToken.Scope scope = null;
        try {
            scope = ApiToken.Scope.valueOf(b.scope() == null ? "USER" : b.scope().strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ignored) {
            // a field error from the service
        }
        Duration lifetime = b.lifetime() == null ? Duration.ofDays(30) : PoolSpec.parseDuration(b.lifetime());
        ApiToken.Created t = tokens.create(b.name(), scope, lifetime);
        return ResponseEntity.created(URI.create("/api/me/tokens/" + t.token().id()))
                .body(new CreatedToken(TokenResponse.of(t.token()), t.value()));
    }

    @DeleteMapping("/me/tokens/{id}")
    TokenResponse revokeMine(@PathVariable String id) {
        return TokenResponse.of(tokens.revokeMine(id));
    }

    @GetMapping("/tokens")
    List<TokenResponse> allTokens() {
        return tokens.all().stream().map(TokenResponse::of).toList();
    }

    @DeleteMapping("/tokens/{id}")
    TokenResponse revoke(@PathVariable String id) {
        return TokenResponse.of(tokens.revokeAny(id));
    }
}
