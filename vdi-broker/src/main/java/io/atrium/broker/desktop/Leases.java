package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerNode;
import io.atrium.broker.BrokerProperties;
import io.atrium.broker.BrokerStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Leases in the database (table {@code lease}): the provisioner's "one task per desktop in flight"
 * ({@link #desktop}) and "one reconcile or deletion per pool at a time" ({@link #pool}).
 *
 * <p>Invariants: a lease has one owner (a {@link BrokerNode} id) until it is released or expires; its expiry is
 * computed by the database ({@code current_timestamp + ttl}), never from a broker's clock, so brokers with skewed
 * clocks agree on it; each acquisition increments its fence, and renewing or releasing needs the fence of that
 * acquisition, so a holder whose lease expired and was taken over cannot extend or free the new holder's lease.
 * Held leases are renewed every third of {@code atrium.broker.lease-ttl} (thread {@code lease-renewer}) while the
 * task runs. At start-up this broker takes back its own leases at once (they are from its previous run: none of its
 * tasks runs yet); leases of other owners are respected until they expire.
 *
 * <p>Each statement runs in its own transaction ({@code REQUIRES_NEW}), also when a caller has one open: a lease
 * must be visible to other brokers at once and must not be rolled back with the caller's work.
 */
@Component
class Leases implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(Leases.class);
    private static final String EXPIRY = "current_timestamp + cast(? as bigint) * interval '0.001' second";

    /** A lease this broker holds. */
    record Lease(String name, String owner, long fence) {
    }

    /** A lease row as stored (for tests and diagnostics). */
    record State(String name, String owner, Instant expiresAt, long fence) {
    }

    private final JdbcClient jdbc;
    private final TransactionTemplate own;
    private final String owner;
    private final Duration ttl;
    private final Map<String, Lease> held = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService renewer;

    Leases(JdbcClient jdbc, PlatformTransactionManager transactions, BrokerNode node, BrokerProperties props) {
        this.jdbc = jdbc;
        this.own = new TransactionTemplate(transactions);
        this.own.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.owner = node.id();
        this.ttl = props.leaseTtl();
    }

    static String desktop(String desktopId) {
        return "desktop:" + desktopId;
    }

    static String pool(String poolId) {
        return "pool:" + poolId;
    }

    /** This broker's node id, the owner of the leases it takes. */
    String owner() {
        return owner;
    }

    /** Takes the lease if it is free or expired; empty if someone holds it. */
    Optional<Lease> tryAcquire(String name) {
        int won = update("update lease set owner = ?, expires_at = " + EXPIRY + ", fence = fence + 1"
                + " where name = ? and (owner is null or expires_at is null or expires_at < current_timestamp)",
                owner, ttl.toMillis(), name);
        if (won == 0) {
            try {
                won = update("insert into lease (name, owner, expires_at, fence) select ?, ?, " + EXPIRY + ", 1"
                        + " where not exists (select 1 from lease where name = ?)", name, owner, ttl.toMillis(), name);
            } catch (DuplicateKeyException raced) {
                return Optional.empty(); // another broker made the row at the same moment
            }
            if (won == 0) {
                return Optional.empty(); // held
            }
        }
        long fence = own.execute(s -> jdbc.sql("select fence from lease where name = ? and owner = ?")
                .params(name, owner).query(Long.class).single());
        Lease lease = new Lease(name, owner, fence);
        held.put(name, lease);
        return Optional.of(lease);
    }

    /**
     * Takes the lease, waiting up to {@code maxWait} for its holder to let go.
     *
     * @throws BrokerException ILLEGAL_STATE if it is still held then
     */
    Lease acquire(String name, Duration maxWait, String what) {
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            Optional<Lease> lease = tryAcquire(name);
            if (lease.isPresent()) {
                return lease.get();
            }
            if (System.nanoTime() > deadline) {
                String holder = state(name).map(s -> " (held by " + s.owner() + ")").orElse("");
                throw new BrokerException(BrokerStatus.ILLEGAL_STATE, what + " is busy" + holder + "; try again shortly");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "interrupted while waiting for " + what);
            }
        }
    }

    /** Lets go of the lease; a no-op if it expired and someone else took it meanwhile. */
    void release(Lease lease) {
        boolean wasHeld = held.remove(lease.name(), lease);
        int n = update("update lease set owner = null, expires_at = null where name = ? and owner = ? and fence = ?",
                lease.name(), lease.owner(), lease.fence());
        if (n == 0 && wasHeld) {
            log.warn("lease {} (fence {}) was lost before it was released", lease.name(), lease.fence());
        }
    }

    /** Extends the lease by the TTL from now (database time); false if it was lost (expired and taken over). */
    boolean renew(Lease lease) {
        return update("update lease set expires_at = " + EXPIRY + " where name = ? and owner = ? and fence = ?",
                ttl.toMillis(), lease.name(), lease.owner(), lease.fence()) == 1;
    }

    /** Removes the rows of leases whose desktop or pool is gone. */
    void forget(Collection<String> names) {
        for (String name : names) {
            held.remove(name);
            update("delete from lease where name = ?", name);
        }
    }

    Optional<State> state(String name) {
        return jdbc.sql("select name, owner, expires_at, fence from lease where name = ?").param(name)
                .query((rs, i) -> {
                    Timestamp expires = rs.getTimestamp("expires_at");
                    return new State(rs.getString("name"), rs.getString("owner"),
                            expires == null ? null : expires.toInstant(), rs.getLong("fence"));
                }).optional();
    }

    private int update(String sql, Object... params) {
        Integer n = own.execute(s -> jdbc.sql(sql).params(params).update());
        return n == null ? 0 : n;
    }

    private void renewHeld() {
        for (Lease lease : held.values()) {
            try {
                if (!renew(lease)) {
                    held.remove(lease.name(), lease);
                    log.warn("lease {} (fence {}) expired and was taken over before it could be renewed",
                            lease.name(), lease.fence());
                }
            } catch (RuntimeException e) {
                log.warn("cannot renew lease {}: {}", lease.name(), e.toString());
            }
        }
    }

    @Override
    public void start() {
        int mine = update("update lease set owner = null, expires_at = null where owner = ?", owner);
        if (mine > 0) {
            log.info("took back {} lease(s) of this broker ({}) from before its restart", mine, owner);
        }
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("lease-renewer").daemon(true).factory());
        long period = Math.max(1, ttl.toMillis() / 3);
        ex.scheduleWithFixedDelay(this::renewHeld, period, period, TimeUnit.MILLISECONDS);
        renewer = ex;
    }

    @Override
    public void stop() {
        ScheduledExecutorService ex = renewer;
        renewer = null;
        if (ex != null) {
            ex.shutdownNow();
        }
        for (Lease lease : held.values()) {
            try {
                release(lease);
            } catch (RuntimeException e) {
                log.debug("cannot release lease {} at shutdown: {}", lease.name(), e.toString());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return renewer != null;
    }

    /** Before the provisioner starts (its start-up takes leases), after it stops. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 1024;
    }
}
