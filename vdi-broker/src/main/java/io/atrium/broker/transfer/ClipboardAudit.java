package io.atrium.broker.transfer;

import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.springframework.stereotype.Service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Audits the clipboard transfers the gateway reports (action {@code clipboard.transfer}, object the desktop): who,
 * which desktop, which direction, how many bytes, relayed or dropped and why. Never the text. Internal: called by the
 * web glue from the gateway's listener, not on behalf of a logged-in caller, so the actor is named.
 */
@Service
public class ClipboardAudit {
    private final AuditLog audit;

    ClipboardAudit(AuditLog audit) {
        this.audit = audit;
    }

    /** What the gateway did with one transfer. */
    public enum Result { RELAYED, DROPPED_BY_POLICY, DROPPED_OVER_CAP, BLOCKED }

    /** Which way. */
    public enum Direction { BROWSER_TO_GUEST, GUEST_TO_BROWSER }

    /**
     * @param bytes the text's size, or -1 when no text was seen (an announcement, a closed channel)
     */
    public void record(String desktopId, String username, Direction direction, long bytes, Result result) {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(result, "result");
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("direction", direction.name());
        if (bytes >= 0) {
            detail.put("bytes", bytes);
        }
        detail.put("result", result.name());
        audit.recordAs(username, null, "clipboard.transfer",
                result == Result.RELAYED ? AuditEvent.Outcome.SUCCESS : AuditEvent.Outcome.DENIED,
                "desktop", desktopId, detail);
    }
}
