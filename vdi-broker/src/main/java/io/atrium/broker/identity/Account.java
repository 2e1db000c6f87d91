package io.atrium.broker.identity;

import java.time.Instant;
import java.util.Set;

/**
 * An account as the broker knows it. Never carries a password, TOTP secret or token.
 *
 * @param groups             the groups it is in now: local memberships and, for directory/SSO accounts, the groups
 *                           of their last login
 * @param mustChangePassword a local account with a one-time password: it must change it before anything else
 * @param mfaEnabled         a TOTP authenticator is enrolled
 */
public record Account(String username, String displayName, AccountSource source, boolean enabled, boolean admin,
                      boolean mustChangePassword, boolean mfaEnabled, Set<String> groups, Instant createdAt,
                      Instant lastLoginAt) {
    public Account {
        groups = Set.copyOf(groups);
    }
}
