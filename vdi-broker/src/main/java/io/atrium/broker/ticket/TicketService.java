package io.atrium.broker.ticket;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerProperties;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolService;
import io.atrium.broker.transfer.TransferPolicyService;
import io.atrium.vmm.api.ConsoleEndpoint;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Console tickets: the only way through the gateway to a desktop's screen.
 *
 * <p>Invariants: a ticket is 256 random bits; only its SHA-256 is stored; it is bound to one
 * user and one desktop; it can be redeemed once (a conditional update marks it used, so two
 * racing redeems cannot both win); it expires after {@code atrium.broker.ticket-ttl} (≤ 30 s).
 */
@Service
public class TicketService {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration KEEP_USED = Duration.ofMinutes(10);

    private final JdbcClient jdbc;
    private final DesktopService desktops;
    private final PoolService pools;
    private final TransferPolicyService transfers;
    private final AuditLog audit;
    private final BrokerProperties props;
    private final Clock clock;

    TicketService(JdbcClient jdbc, DesktopService desktops, PoolService pools, TransferPolicyService transfers,
                  AuditLog audit, BrokerProperties props, Clock clock) {
        this.jdbc = jdbc;
        this.desktops = desktops;
        this.pools = pools;
        this.transfers = transfers;
        this.audit = audit;
        this.props = props;
        this.clock = clock;
    }

    /**
     * Issues a ticket for the current user's desktop.
     *
     * @throws BrokerException NOT_FOUND / FORBIDDEN when it is not theirs, DESKTOP_UNAVAILABLE when its VM is not running
     */
    @PreAuthorize("isAuthenticated()")
    public ConsoleTicket issue(String desktopId) {
        CurrentUser user = CurrentUser.get();
        Desktop d = desktops.myDesktop(desktopId);
        if (!d.state().isAssigned()) {
            throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE,
                    "Desktop " + d.name() + " is " + d.state().name().toLowerCase().replace('_', ' ') + "; open it again from My desktops.");
        }
        Pool pool = pools.find(d.poolId()).orElseThrow(() -> BrokerException.notFound("Desktop " + desktopId));
        if (!pools.isEntitledNow(user.name(), Optional.of(user.groups()), pool)) {
            audit.record("ticket.issue", AuditEvent.Outcome.DENIED, "desktop", d.id(), Map.of("reason", "not entitled"));
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Your access to desktop " + d.name() + " was revoked.");
        }
        if (desktops.consoleEndpoint(d.id()).isEmpty()) {
            throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "Desktop " + d.name() + " is not running.");
        }
        Instant now = clock.instant();
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant expires = now.plus(props.ticketTtl());
        jdbc.sql("delete from console_ticket where expires_at < ?").param(Timestamp.from(now.minus(KEEP_USED))).update();
        jdbc.sql("insert into console_ticket (hash, username, desktop_id, issued_at, expires_at) values (?, ?, ?, ?, ?)")
                .params(hash(value), user.name(), d.id(), Timestamp.from(now), Timestamp.from(expires))
                .update();
        audit.record("ticket.issue", "desktop", d.id(), Map.of("desktop", d.name(), "expiresAt", expires.toString()));
        return new ConsoleTicket(value, d.id(), expires);
    }

    /**
     * Redeems a ticket, once. Not tied to a security context: the gateway calls it.
     *
     * @param requestedDesktop the desktop the client asked for, if it named one
     * @param requestUser      the user the connection is authenticated as, if known
     * @return the desktop, user, console and the pool's transfer policy (the gateway enforces its clipboard part)
     * @throws BrokerException TICKET_INVALID, TICKET_USED, TICKET_EXPIRED, FORBIDDEN or DESKTOP_UNAVAILABLE
     */
    public RedeemedTicket redeem(String value, Optional<String> requestedDesktop, Optional<String> requestUser) {
        try {
            RedeemedTicket t = redeemOnce(value, requestedDesktop, requestUser);
            audit.recordAs(t.username(), null, "ticket.redeem", AuditEvent.Outcome.SUCCESS, "desktop", t.desktopId(), null);
            return t;
        } catch (BrokerException e) {
            audit.recordAs(requestUser.orElse("anonymous"), null, "ticket.redeem",
                    e.status() == BrokerStatus.FORBIDDEN ? AuditEvent.Outcome.DENIED : AuditEvent.Outcome.FAILURE,
                    "desktop", requestedDesktop.orElse(null), Map.of("reason", e.status().name()));
            throw e;
        }
    }

    private RedeemedTicket redeemOnce(String value, Optional<String> requestedDesktop, Optional<String> requestUser) {
        if (value == null || value.isBlank() || value.length() > 100) {
            throw new BrokerException(BrokerStatus.TICKET_INVALID, "The console ticket is not valid.");
        }
        String hash = hash(value);
        Timestamp now = Timestamp.from(clock.instant());
        int won = jdbc.sql("update console_ticket set used_at = ? where hash = ? and used_at is null and expires_at > ?")
                .params(now, hash, now).update();
        Optional<Map<String, Object>> row = jdbc.sql("select username, desktop_id, used_at, expires_at from console_ticket where hash = ?")
                .param(hash).query().listOfRows().stream().findFirst();
        if (row.isEmpty()) {
            throw new BrokerException(BrokerStatus.TICKET_INVALID, "The console ticket is not valid.");
        }
        if (won == 0) {
            if (column(row.get(), "used_at") != null) {
                throw new BrokerException(BrokerStatus.TICKET_USED, "The console ticket was already used.");
            }
            throw new BrokerException(BrokerStatus.TICKET_EXPIRED, "The console ticket expired.");
        }
        String username = column(row.get(), "username");
        String desktopId = column(row.get(), "desktop_id");
        if (requestedDesktop.isPresent() && !requestedDesktop.get().equals(desktopId)) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "The console ticket is for another desktop.");
        }
        if (requestUser.isPresent() && !requestUser.get().equals(username)) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "The console ticket belongs to another user.");
        }
        Desktop d = desktops.find(desktopId)
                .orElseThrow(() -> new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "The desktop no longer exists."));
        if (!username.equals(d.assignedUser()) || !d.state().isAssigned()) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "The desktop is no longer assigned to " + username + ".");
        }
        // Entitlement again, at redeem time: a user removed from the pool (or disabled) since the issue gets nothing.
        if (pools.find(d.poolId()).filter(p -> pools.stillEntitled(username, p)).isEmpty()) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "Access to this desktop was revoked.");
        }
        ConsoleEndpoint console = desktops.consoleEndpoint(desktopId)
                .orElseThrow(() -> new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "The desktop is not running."));
        return new RedeemedTicket(desktopId, username, console, transfers.policyFor(d.poolId()));
    }

    private static String column(Map<String, Object> row, String name) {
        Object v = row.containsKey(name) ? row.get(name) : row.get(name.toUpperCase());
        return v == null ? null : v.toString().trim();
    }

    static String hash(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
