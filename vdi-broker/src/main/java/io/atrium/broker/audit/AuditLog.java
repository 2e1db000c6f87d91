package io.atrium.broker.audit;

import io.atrium.broker.CurrentUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The audit log (table {@code audit_event}): append-only, in the database.
 *
 * <p>Write with {@link #record} after an action (the actor is the caller from the security context, or
 * {@code system} without one) or with {@link #recordAs} where the actor is known but not logged in (login attempts,
 * the gateway). A failure to write is logged and never fails the audited action. Reading is for administrators.
 *
 * <p>Invariants: rows are only inserted; details never hold secrets or user content (see {@link AuditEvent#detail}).
 */
@Service
public class AuditLog {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final int MAX_DETAIL = 4000;
    public static final String SYSTEM = "system";

    private final JdbcClient jdbc;
    private final Clock clock;

    AuditLog(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Records an action by the current caller ({@code system} when there is none). */
    public void record(String action, AuditEvent.Outcome outcome, String objectType, String objectId,
                       Map<String, ?> detail) {
        recordAs(currentActor(), null, action, outcome, objectType, objectId, detail);
    }

    /** Records a successful action by the current caller. */
    public void record(String action, String objectType, String objectId, Map<String, ?> detail) {
        record(action, AuditEvent.Outcome.SUCCESS, objectType, objectId, detail);
    }

    /**
     * Runs an action of the current caller and records it: SUCCESS with {@code detail}, or (and the failure is
     * rethrown) DENIED for a refusal of authorization, FAILURE otherwise, with the error's status or type.
     */
    public <T> T audited(String action, String objectType, String objectId, Map<String, ?> detail,
                         java.util.function.Supplier<T> body) {
        T result;
        try {
            result = body.get();
        } catch (RuntimeException e) {
            Map<String, Object> d = new LinkedHashMap<>();
            if (detail != null) {
                d.putAll(detail);
            }
            d.put("error", e instanceof io.atrium.broker.BrokerException be ? be.status().name() : e.getClass().getSimpleName());
            record(action, e instanceof org.springframework.security.access.AccessDeniedException
                    ? AuditEvent.Outcome.DENIED : AuditEvent.Outcome.FAILURE, objectType, objectId, d);
            throw e;
        }
        record(action, objectType, objectId, detail);
        return result;
    }

    /** {@link #audited(String, String, String, Map, java.util.function.Supplier)} for an action without a result. */
    public void audited(String action, String objectType, String objectId, Map<String, ?> detail, Runnable body) {
        audited(action, objectType, objectId, detail, () -> {
            body.run();
            return null;
        });
    }

    /** Records an action by {@code actor}, seen from {@code client} (may be null). */
    public void recordAs(String actor, String client, String action, AuditEvent.Outcome outcome, String objectType,
                         String objectId, Map<String, ?> detail) {
        AuditEvent e = new AuditEvent(UUID.randomUUID().toString(), clock.instant(), clip(actor, 200), clip(action, 100),
                outcome, clip(objectType, 50), clip(objectId, 200), clip(client, 100), json(detail));
        try {
            jdbc.sql("""
                            insert into audit_event (id, at, actor, action, outcome, object_type, object_id, client, detail)
                            values (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                    .params(e.id(), Timestamp.from(e.at()), e.actor(), e.action(), e.outcome().name(), e.objectType(),
                            e.objectId(), e.client(), e.detail())
                    .update();
        } catch (RuntimeException ex) {
            log.error("audit: could not record {} by {} on {} {}: {}", e.action(), e.actor(), e.objectType(),
                    e.objectId(), ex.toString());
        }
    }

    /** Entries matching the query, newest first. */
    @PreAuthorize("hasRole('ADMIN')")
    public List<AuditEvent> search(AuditQuery q) {
        StringBuilder sql = new StringBuilder("select * from audit_event where 1 = 1");
        List<Object> params = new ArrayList<>();
        if (q.from() != null) {
            sql.append(" and at >= ?");
            params.add(Timestamp.from(q.from()));
        }
        if (q.to() != null) {
            sql.append(" and at < ?");
            params.add(Timestamp.from(q.to()));
        }
        if (q.actor() != null) {
            sql.append(" and actor = ?");
            params.add(q.actor());
        }
        if (q.actionPrefix() != null) {
            sql.append(" and (action = ? or action like ?)");
            params.add(q.actionPrefix());
            params.add(q.actionPrefix().replace("%", "").replace("_", "") + ".%");
        }
        if (q.objectType() != null) {
            sql.append(" and object_type = ?");
            params.add(q.objectType());
        }
        if (q.objectId() != null) {
            sql.append(" and object_id = ?");
            params.add(q.objectId());
        }
        if (q.outcome() != null) {
            sql.append(" and outcome = ?");
            params.add(q.outcome().name());
        }
        int limit = Math.clamp(q.limit(), 1, 10_000);
        sql.append(" order by at desc, id desc fetch first ").append(limit).append(" rows only");
        return jdbc.sql(sql.toString()).params(params).query((rs, i) -> new AuditEvent(rs.getString("id"),
                        rs.getTimestamp("at").toInstant(), rs.getString("actor"), rs.getString("action"),
                        AuditEvent.Outcome.valueOf(rs.getString("outcome")), rs.getString("object_type"),
                        rs.getString("object_id"), rs.getString("client"), rs.getString("detail")))
                .list();
    }

    /**
     * Writes the entries matching the query as CSV (RFC 4180, header first, newest first): at, actor, action,
     * outcome, objectType, objectId, client, detail. Cells that a spreadsheet would run as a formula are prefixed
     * with {@code '}.
     */
    @PreAuthorize("hasRole('ADMIN')")
    public void exportCsv(AuditQuery q, java.io.Writer out) throws java.io.IOException {
        out.write("at,actor,action,outcome,objectType,objectId,client,detail\r\n");
        for (AuditEvent e : search(q)) {
            out.write(String.join(",", csv(e.at().toString()), csv(e.actor()), csv(e.action()), csv(e.outcome().name()),
                    csv(e.objectType()), csv(e.objectId()), csv(e.client()), csv(e.detail())));
            out.write("\r\n");
        }
        out.flush();
    }

    static String csv(String v) {
        if (v == null) {
            return "";
        }
        String s = !v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /** Internal (the retention purge): deletes the entries older than {@code before}. */
    int deleteOlderThan(java.time.Instant before) {
        return jdbc.sql("delete from audit_event where at < ?").param(Timestamp.from(before)).update();
    }

    /** The caller's name, or {@link #SYSTEM}. */
    static String currentActor() {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null || !auth.isAuthenticated() || auth.getName() == null) {
            return SYSTEM;
        }
        try {
            return CurrentUser.get().name();
        } catch (RuntimeException e) {
            return SYSTEM;
        }
    }

    private static String json(Map<String, ?> detail) {
        if (detail == null || detail.isEmpty()) {
            return null;
        }
        String text = JSON.writeValueAsString(new LinkedHashMap<>(detail));
        return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL - 3) + "...";
    }

    private static String clip(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
