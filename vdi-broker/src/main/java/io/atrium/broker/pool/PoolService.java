package io.atrium.broker.pool;

import io.atrium.broker.BrokerException;
import io.atrium.broker.CurrentUser;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.List;

/** Which pools a user may use. */
@Service
public class PoolService {
    private final PoolRepository pools;

    PoolService(PoolRepository pools) {
        this.pools = pools;
    }

    /** The pools the current user is entitled to. */
    @PreAuthorize("isAuthenticated()")
    public List<Pool> myPools() {
        CurrentUser user = CurrentUser.get();
        return pools.findAll().stream().filter(p -> isEntitled(user, p)).toList();
    }

    /** The pool, if the current user is entitled to it; otherwise 404, so pools are not disclosed. */
    @PreAuthorize("isAuthenticated()")
    public Pool myPool(String poolId) {
        CurrentUser user = CurrentUser.get();
        return pools.findById(poolId).filter(p -> isEntitled(user, p))
                .orElseThrow(() -> BrokerException.notFound("Pool " + poolId));
    }

    public static boolean isEntitled(CurrentUser user, Pool pool) {
        return pool.entitled().stream().anyMatch(user::matches);
    }
}
