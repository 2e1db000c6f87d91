package io.atrium.broker;

import java.util.Optional;
import java.util.Set;

/**
 * What the broker knows about users now, as opposed to what their login said (implemented by the identity package).
 * Entitlement checks ask it, so a user removed from a group or disabled loses access at once, not at their next login.
 * A user name it does not know (no account recorded) answers empty, and callers fall back to the login's groups.
 */
public interface UserDirectory {
    /** The groups of a known user now; empty for an unknown name. */
    Optional<Set<String>> currentGroups(String username);

    /** Whether a known user is enabled; empty for an unknown name. */
    Optional<Boolean> isEnabled(String username);

    /** A directory that knows nobody: every check falls back to the login's groups. */
    UserDirectory NONE = new UserDirectory() {
        @Override
        public Optional<Set<String>> currentGroups(String username) {
            return Optional.empty();
        }

        @Override
        public Optional<Boolean> isEnabled(String username) {
            return Optional.empty();
        }
    };
}
