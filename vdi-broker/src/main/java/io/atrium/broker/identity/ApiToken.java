package io.atrium.broker.identity;

import java.time.Instant;

/**
 * A personal access token as shown to its owner and administrators: never its value (shown once at creation), only
 * its hash is stored.
 *
 * @param scope {@link Scope#USER}: acts as the owner without administrator rights; {@link Scope#ADMIN}: with them
 *              (only an administrator can create one)
 */
public record ApiToken(String id, String username, String name, Scope scope, Instant createdAt, Instant expiresAt,
                       Instant lastUsedAt, Instant revokedAt) {
    /** What a token may do. */
    public enum Scope { USER, ADMIN }

    public boolean activeAt(Instant now) {
        return revokedAt == null && expiresAt.isAfter(now);
    }

    /**
     * A created token with its value, which exists only in this object: the caller shows it once.
     *
     * @param value {@code atr_} and 43 characters (256 random bits); {@link #toString()} hides it
     */
    public record Created(ApiToken token, String value) {
        @Override
        public String toString() {
            return "Created[" + token + "]";
        }
    }

    /** Who a valid token authenticates, and with what scope. */
    public record Grant(Account account, ApiToken token) {
        /** Whether requests with this token get administrator rights. */
        public boolean admin() {
            return account.admin() && token.scope() == Scope.ADMIN;
        }
    }
}
