package io.atrium.web.api;

import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The audit log over REST, for administrators ({@link AuditLog#search}, {@code ROLE_ADMIN}): {@code GET /api/audit}
 * (JSON, newest first) and {@code GET /api/audit/export} (CSV), both filtered by {@code from}, {@code to} (ISO-8601
 * instants), {@code actor}, {@code action} (an action or its prefix: {@code login} matches {@code login.failure}),
 * {@code objectType}, {@code objectId}, {@code outcome} ({@code SUCCESS}, {@code FAILURE}, {@code DENIED}) and
 * {@code limit} (1–10000; 100 for JSON, 10000 for CSV).
 */
@RestController
@RequestMapping("/api/audit")
class AuditController {
    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping
    List<AuditEvent> search(@RequestParam Optional<String> from, @RequestParam Optional<String> to,
                            @RequestParam Optional<String> actor, @RequestParam Optional<String> action,
                            @RequestParam Optional<String> objectType, @RequestParam Optional<String> objectId,
                            @RequestParam Optional<String> outcome, @RequestParam(defaultValue = "100") int limit) {
        return audit.search(query(from, to, actor, action, objectType, objectId, outcome, limit));
    }

    @GetMapping("/export")
    void export(@RequestParam Optional<String> from, @RequestParam Optional<String> to,
                @RequestParam Optional<String> actor, @RequestParam Optional<String> action,
                @RequestParam Optional<String> objectType, @RequestParam Optional<String> objectId,
                @RequestParam Optional<String> outcome, @RequestParam(defaultValue = "10000") int limit,
                HttpServletResponse response) throws IOException {
        AuditQuery q = query(from, to, actor, action, objectType, objectId, outcome, limit);
        response.setContentType("text/csv;charset=UTF-8");
        response.setHeader("Content-Disposition", "attachment; filename=\"atrium-audit.csv\"");
        audit.exportCsv(q, response.getWriter());
    }

    private static AuditQuery query(Optional<String> from, Optional<String> to, Optional<String> actor,
                                    Optional<String> action, Optional<String> objectType, Optional<String> objectId,
                                    Optional<String> outcome, int limit) {
        AuditEvent.Outcome o = null;
        if (outcome.isPresent()) {
            try {
                o = AuditEvent.Outcome.valueOf(outcome.get().strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw InvalidInputException.of("outcome", "must be SUCCESS, FAILURE or DENIED");
            }
        }
        return new AuditQuery(instant("from", from), instant("to", to), actor.orElse(null), action.orElse(null),
                objectType.orElse(null), objectId.orElse(null), o, Math.clamp(limit, 1, 10_000));
    }

    private static Instant instant(String field, Optional<String> value) {
        try {
            return value.map(Instant::parse).orElse(null);
        } catch (DateTimeParseException e) {
            throw InvalidInputException.of(field, "must be an ISO-8601 instant such as 2026-12-01T10:00:00Z");
        }
    }
}
