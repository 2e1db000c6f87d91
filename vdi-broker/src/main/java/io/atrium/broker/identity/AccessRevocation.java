package io.atrium.broker.identity;

import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolChanged;
import io.atrium.broker.pool.PoolService;
import io.atrium.broker.session.Session;
import io.atrium.broker.session.SessionService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.Map;

/**
 * Makes entitlement changes take effect at once. After a pool's entitlements changed ({@link PoolChanged}) or an
 * account was disabled, deleted or lost a group ({@link AccountChanged}), every desktop still assigned to a user who
 * may no longer use its pool has that user's sessions ended with {@code ACCESS_REVOKED}: the viewer is closed with
 * 4011, a pooled desktop is refreshed, a personal one keeps its disk (and stays assigned for an administrator to
 * reassign or delete; no ticket is issued or redeemed for it while the user is not entitled). Runs in the thread of
 * the change, so the change's caller returns only after the viewers were closed.
 */
@Component
class AccessRevocation {
    private static final Logger log = LoggerFactory.getLogger(AccessRevocation.class);

    private final DesktopService desktops;
    private final PoolService pools;
    private final SessionService sessions;
    private final AuditLog audit;

    AccessRevocation(DesktopService desktops, PoolService pools, SessionService sessions, AuditLog audit) {
        this.desktops = desktops;
        this.pools = pools;
        this.sessions = sessions;
        this.audit = audit;
    }

    @EventListener
    void on(PoolChanged event) {
        pools.find(event.poolId()).ifPresent(pool -> desktops.assignedIn(pool.id()).forEach(d -> check(d, pool, "entitlement removed")));
    }

    @EventListener
    void on(AccountChanged event) {
        for (Desktop d : desktops.assignedTo(event.username())) {
            pools.find(d.poolId()).ifPresent(pool -> check(d, pool, "account changed"));
        }
    }

    private void check(Desktop d, Pool pool, String why) {
        String user = d.assignedUser();
        // A user the identity store does not know (none in production: every login is recorded) is left alone.
        if (user == null || pools.stillEntitled(user, pool)) {
            return;
        }
        List<Session> ended = sessions.revokeAccess(pool.id(), user);
        log.info("access of {} to pool {} revoked ({}): {} session(s) ended", user, pool.name(), why, ended.size());
        audit.recordAs(AuditLog.SYSTEM, null, "entitlement.revoke", AuditEvent.Outcome.SUCCESS, "desktop", d.id(),
                Map.of("user", user, "pool", pool.name(), "desktop", d.name(), "reason", why,
                        "sessionsEnded", ended.size()));
    }

}
