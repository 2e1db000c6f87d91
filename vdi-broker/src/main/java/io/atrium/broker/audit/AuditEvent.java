package io.atrium.broker.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the audit log: who did what to which object, when, and how it ended.
 *
 * @param actor      the user name, or {@code system} for Atrium itself, or {@code anonymous:<what>} before login
 * @param action     a dotted verb, e.g. {@code pool.create}, {@code desktop.open}, {@code login.failure}
 * @param outcome    how it ended
 * @param objectType the kind of object acted on ({@code pool}, {@code desktop}, {@code user}…), or {@code null}
 * @param objectId   its id or name, or {@code null}
 * @param client     the client address, when known
 * @param detail     what else an auditor needs (before/after for admin changes, sizes, reasons) as JSON text;
 *                   never secrets (passwords, tickets, tokens) and never user content (clipboard, files)
 */
public record AuditEvent(String id, Instant at, String actor, String action, Outcome outcome, String objectType,
                         String objectId, String client, String detail) {

    /** How an audited action ended. */
    public enum Outcome { SUCCESS, FAILURE, DENIED }

    public AuditEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(outcome, "outcome");
    }
}
