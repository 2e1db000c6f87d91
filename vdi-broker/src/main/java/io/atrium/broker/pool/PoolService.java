package io.atrium.broker.pool;

import io.atrium.broker.BrokerException;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.UserDirectory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which pools a user may use. Entitlements are checked against the user's groups as the {@link UserDirectory} knows
 * them now (so a membership removed or an account disabled counts at once), falling back to the login's groups for a
 * user the directory does not know.
 */
@Service
public class PoolService {
    private final PoolRepository pools;
    private final ObjectProvider<UserDirectory> directory;

    PoolService(PoolRepository pools, ObjectProvider<UserDirectory> directory) {
        this.pools = pools;
        this.directory = directory;
    }

    /** The pools the current user is entitled to. */
    @PreAuthorize("isAuthenticated()")
    public List<Pool> myPools() {
        Optional<CurrentUser> user = current(CurrentUser.get());
        return user.map(u -> pools.findAll().stream().filter(p -> isEntitled(u, p)).toList()).orElse(List.of());
    }

    /** The pool, if the current user is entitled to it; otherwise 404, so pools are not disclosed. */
    @PreAuthorize("isAuthenticated()")
    public Pool myPool(String poolId) {
        Optional<CurrentUser> user = current(CurrentUser.get());
        return pools.findById(poolId).filter(p -> user.isPresent() && isEntitled(user.get(), p))
                .orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    /**
     * Internal (tickets, revocation): whether {@code username} may use the pool now. A disabled user may not; a user
     * the directory does not know is judged by {@code loginGroups}, if given, else by {@code user:} entitlements only.
     */
    public boolean isEntitledNow(String username, Optional<Set<String>> loginGroups, Pool pool) {
        UserDirectory dir = directory.getIfAvailable(() -> UserDirectory.NONE);
        if (!dir.isEnabled(username).orElse(true)) {
            return false;
        }
        Set<String> groups = dir.currentGroups(username).or(() -> loginGroups).orElse(Set.of());
        return isEntitled(new CurrentUser(username, groups, false), pool);
    }

    /**
     * Internal (ticket redemption): whether {@code username} may still use the pool, judged only by what the
     * directory knows now; a user it does not know was judged at ticket issue and passes.
     */
    public boolean stillEntitled(String username, Pool pool) {
        UserDirectory dir = directory.getIfAvailable(() -> UserDirectory.NONE);
        if (!dir.isEnabled(username).orElse(true)) {
            return false;
        }
        return dir.currentGroups(username).map(g -> isEntitled(new CurrentUser(username, g, false), pool)).orElse(true);
    }

    /** Internal: a pool by id, without an authorization check. */
    public Optional<Pool> find(String poolId) {
        return pools.findById(poolId);
    }

    /** The caller with the groups the directory knows now (its login's if the directory does not know them); empty if disabled. */
    private Optional<CurrentUser> current(CurrentUser login) {
        UserDirectory dir = directory.getIfAvailable(() -> UserDirectory.NONE);
        if (!dir.isEnabled(login.name()).orElse(true)) {
            return Optional.empty();
        }
        return Optional.of(dir.currentGroups(login.name()).map(g -> new CurrentUser(login.name(), g, login.admin()))
                .orElse(login));
    }

    public static boolean isEntitled(CurrentUser user, Pool pool) {
        return pool.entitled().stream().anyMatch(user::matches);
    }
}
