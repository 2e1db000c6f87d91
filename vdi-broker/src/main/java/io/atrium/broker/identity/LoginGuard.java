package io.atrium.broker.identity;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The brute-force guard for every way of logging in (form, HTTP Basic, second factor, API token), in the database
 * (table {@code login_throttle}) so a restart does not reset it and two brokers share it.
 *
 * <p>Failures are counted per client address and per account ({@link IdentityProperties.Lockout}): first a growing
 * delay between attempts (backoff), then a lockout for a fixed time. While a key is locked, attempts are refused
 * before any password is checked, so a locked-out attacker learns nothing. The address limits are below the
 * account's, so one attacker is stopped at their address first; an account lockout always ends after its duration,
 * so nobody can lock a real user out for good. Time is the broker's {@link Clock}.
 */
@Component
public class LoginGuard {
    private final JdbcClient jdbc;
    private final Clock clock;
    private final IdentityProperties.Lockout policy;

    LoginGuard(JdbcClient jdbc, Clock clock, IdentityProperties props) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.policy = props.lockout();
    }

    /** The clock's time at the database's precision (microseconds), so stored instants compare exactly. */
    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    static String addressKey(String client) {
        return "addr:" + clip(client == null || client.isBlank() ? "unknown" : client.strip());
    }

    static String accountKey(String username) {
        return "user:" + clip(username == null ? "" : username.strip().toLowerCase(Locale.ROOT));
    }

    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200);
    }

    /** How long attempts from this client or for this account are still refused; empty if they may try now. */
    public Optional<Duration> blocked(String client, String username) {
        Instant now = now();
        Duration longest = null;
        for (String key : keys(client, username)) {
            Instant until = jdbc.sql("select locked_until from login_throttle where throttle_key = ?").param(key)
                    .query((rs, i) -> rs.getTimestamp(1)).optional().map(t -> t == null ? null : t.toInstant())
                    .orElse(null);
            if (until != null && until.isAfter(now)) {
                Duration left = Duration.between(now, until);
                longest = longest == null || left.compareTo(longest) > 0 ? left : longest;
            }
        }
        return Optional.ofNullable(longest);
    }

    /** Throws {@link LoginRefusedException} (THROTTLED) if this client or account must wait. */
    public void check(String client, String username) {
        Optional<Duration> wait = blocked(client, username);
        if (wait.isPresent()) {
            throw LoginRefusedException.throttled(wait.get());
        }
    }

    /**
     * Counts a failure against the client and the account.
     *
     * @return the keys that became locked out (not just backed off) by this failure
     */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public List<String> failure(String client, String username) {
        List<String> lockedOut = new ArrayList<>();
        String address = addressKey(client);
        if (count(address, policy.addressBackoffAfter(), policy.addressLockoutAfter())) {
            lockedOut.add(address);
        }
        if (username != null && !username.isBlank()) {
            String account = accountKey(username);
            if (count(account, policy.accountBackoffAfter(), policy.accountLockoutAfter())) {
                lockedOut.add(account);
            }
        }
        return lockedOut;
    }

    /** A successful login: the account's count starts again (the address's decays by itself). */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public void success(String username) {
        if (username != null) {
            jdbc.sql("delete from login_throttle where throttle_key = ?").param(accountKey(username)).update();
        }
    }

    /** Every key with failures within the window or a lock still running. */
    public List<Lockout> current() {
        Instant now = now();
        Instant since = now.minus(policy.window());
        return jdbc.sql("select * from login_throttle where last_failure_at >= ? or locked_until > ? order by last_failure_at desc")
                .params(Timestamp.from(since), Timestamp.from(now))
                .query((rs, i) -> {
                    String key = rs.getString("throttle_key");
                    Timestamp until = rs.getTimestamp("locked_until");
                    return new Lockout(key, key.startsWith("addr:") ? Lockout.Kind.ADDRESS : Lockout.Kind.ACCOUNT,
                            key.substring(5), rs.getInt("failures"), rs.getTimestamp("last_failure_at").toInstant(),
                            until == null ? null : until.toInstant());
                }).list();
    }

    /** Forgets a key's failures and lock; false if there was none. */
    public boolean clear(String key) {
        return jdbc.sql("delete from login_throttle where throttle_key = ?").param(key).update() > 0;
    }

    /** @return whether this failure started a lockout */
    private boolean count(String key, int backoffAfter, int lockoutAfter) {
        Instant now = now();
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Lockout> row = jdbc.sql("select * from login_throttle where throttle_key = ?").param(key)
                    .query((rs, i) -> {
                        Timestamp until = rs.getTimestamp("locked_until");
                        return new Lockout(key, null, null, rs.getInt("failures"),
                                rs.getTimestamp("last_failure_at").toInstant(), until == null ? null : until.toInstant());
                    }).optional();
            int failures;
            if (row.isEmpty()) {
                failures = 1;
            } else {
                Lockout r = row.get();
                boolean stale = r.lastFailureAt().plus(policy.window()).isBefore(now) && !r.lockedAt(now);
                // A lock that has run out starts the count again from the backoff threshold: the next failures
                // back off at once, and enough of them lock again.
                boolean lockRanOut = r.lockedUntil() != null && !r.lockedAt(now) && r.failures() >= lockoutAfter;
                failures = stale ? 1 : lockRanOut ? backoffAfter : r.failures() + 1;
            }
            Instant until = null;
            boolean lockout = false;
            if (failures >= lockoutAfter) {
                until = now.plus(policy.lockoutDuration());
                lockout = failures == lockoutAfter;
            } else if (failures >= backoffAfter) {
                long factor = 1L << Math.min(20, failures - backoffAfter);
                Duration delay = policy.backoffBase().multipliedBy(factor);
                until = now.plus(delay.compareTo(policy.lockoutDuration()) > 0 ? policy.lockoutDuration() : delay);
            }
            Timestamp untilTs = until == null ? null : Timestamp.from(until);
            if (row.isPresent()) {
                jdbc.sql("update login_throttle set failures = ?, last_failure_at = ?, locked_until = ? where throttle_key = ?")
                        .params(failures, Timestamp.from(now), untilTs, key).update();
                return lockout;
            }
            try {
                jdbc.sql("insert into login_throttle (throttle_key, failures, last_failure_at, locked_until) values (?, ?, ?, ?)")
                        .params(key, failures, Timestamp.from(now), untilTs).update();
                return lockout;
            } catch (DuplicateKeyException raced) {
                // another failure for this key was counted at the same moment: count on top of it
            }
        }
        return false;
    }

    private static List<String> keys(String client, String username) {
        List<String> keys = new ArrayList<>(2);
        keys.add(addressKey(client));
        if (username != null && !username.isBlank()) {
            keys.add(accountKey(username));
        }
        return keys;
    }
}
