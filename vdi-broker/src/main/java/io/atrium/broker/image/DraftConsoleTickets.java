package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerProperties;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.transfer.TransferPolicy;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.RedeemedTicket;
import io.atrium.vmm.api.ConsoleEndpoint;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.api.MachineInfo;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Console tickets for draft machines: an administrator opens the draft of a version (an installation from an ISO, or
 * an edit) in the normal browser viewer. The gateway is asked for {@code desktop=draft:<version id>}; everything else
 * is as for desktops' tickets: 256 random bits, only the SHA-256 stored, bound to one user and one version, single use
 * (a conditional update), valid for {@code atrium.broker.ticket-ttl}; the machine must still be the version's draft
 * machine and run.
 */
@Service
public class DraftConsoleTickets {
    /** How a draft's console is named in the gateway's {@code desktop} parameter. */
    public static final String PREFIX = "draft:";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JdbcClient jdbc;
    private final ImageRepository images;
    private final MachineHost machines;
    private final BrokerProperties props;
    private final Clock clock;

    DraftConsoleTickets(JdbcClient jdbc, ImageRepository images, MachineHost machines, BrokerProperties props,
                        Clock clock) {
        this.jdbc = jdbc;
        this.images = images;
        this.machines = machines;
        this.props = props;
        this.clock = clock;
    }

    /** Whether a gateway console name is a draft's. */
    public static boolean isDraft(String consoleName) {
        return consoleName != null && consoleName.startsWith(PREFIX);
    }

    /**
     * A ticket for the current administrator to the version's running draft machine.
     *
     * @throws BrokerException NOT_FOUND, DESKTOP_UNAVAILABLE when no draft machine runs
     */
    @PreAuthorize("hasRole('ADMIN')")
    public ConsoleTicket issue(String versionId) {
        ImageVersion v = images.findVersion(versionId).orElseThrow(() -> BrokerException.notFound("Image version "
                + versionId));
        if (v.machine().flatMap(machines::find).isEmpty()) {
            throw new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE, "The draft machine of " + v.label()
                    + " does not run; start it from Admin → Images.");
        }
        Instant now = clock.instant();
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant expires = now.plus(props.ticketTtl());
        jdbc.sql("delete from image_console_ticket where expires_at < ?").param(Timestamp.from(now.minusSeconds(600)))
                .update();
        jdbc.sql("insert into image_console_ticket (hash, username, version_id, issued_at, expires_at) values (?, ?, ?, ?, ?)")
                .params(hash(value), CurrentUser.get().name(), v.id(), Timestamp.from(now), Timestamp.from(expires))
                .update();
        return new ConsoleTicket(value, PREFIX + v.id(), expires);
    }

    /**
     * Redeems a draft console ticket, once (called by the gateway, without a security context).
     *
     * @param requested the console the client asked for ({@code draft:<version id>})
     * @param user      the user the connection is authenticated as, if known
     */
    public RedeemedTicket redeem(String value, String requested, Optional<String> user) {
        if (value == null || value.isBlank() || value.length() > 100 || !isDraft(requested)) {
            throw new BrokerException(BrokerStatus.TICKET_INVALID, "The console ticket is not valid.");
        }
        String hash = hash(value);
        Timestamp now = Timestamp.from(clock.instant());
        int won = jdbc.sql("update image_console_ticket set used_at = ? where hash = ? and used_at is null and expires_at > ?")
                .params(now, hash, now).update();
        Optional<Map<String, Object>> row = jdbc.sql("select username, version_id, used_at from image_console_ticket where hash = ?")
                .param(hash).query().listOfRows().stream().findFirst();
        if (row.isEmpty()) {
            throw new BrokerException(BrokerStatus.TICKET_INVALID, "The console ticket is not valid.");
        }
        if (won == 0) {
            throw new BrokerException(column(row.get(), "used_at") != null ? BrokerStatus.TICKET_USED
                    : BrokerStatus.TICKET_EXPIRED, "The console ticket was already used or expired.");
        }
        String username = column(row.get(), "username");
        String versionId = column(row.get(), "version_id");
        if (!requested.equals(PREFIX + versionId)) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "The console ticket is for another draft.");
        }
        if (user.isPresent() && !user.get().equals(username)) {
            throw new BrokerException(BrokerStatus.FORBIDDEN, "The console ticket belongs to another user.");
        }
        ConsoleEndpoint console = images.findVersion(versionId).flatMap(ImageVersion::machine).flatMap(machines::find)
                .map(MachineInfo::console).orElseThrow(() -> new BrokerException(BrokerStatus.DESKTOP_UNAVAILABLE,
                        "The draft machine does not run."));
        // an administrator preparing an image: the clipboard both ways, as a pool without a policy has it
        return new RedeemedTicket(PREFIX + versionId, username, console, TransferPolicy.DEFAULT);
    }

    private static String column(Map<String, Object> row, String name) {
        Object v = row.containsKey(name) ? row.get(name) : row.get(name.toUpperCase());
        return v == null ? null : v.toString().trim();
    }

    private static String hash(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
