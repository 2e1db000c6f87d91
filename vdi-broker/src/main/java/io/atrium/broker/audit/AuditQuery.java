package io.atrium.broker.audit;

import java.time.Instant;

/**
 * A filter over the audit log; {@code null} fields do not filter.
 *
 * @param actionPrefix matches actions equal to it or starting with it followed by '.', e.g. {@code pool}
 * @param limit        at most this many, newest first (1..10000)
 */
public record AuditQuery(Instant from, Instant to, String actor, String actionPrefix, String objectType,
                         String objectId, AuditEvent.Outcome outcome, int limit) {

    public static AuditQuery latest(int limit) {
        return new AuditQuery(null, null, null, null, null, null, null, limit);
    }
}
