package io.atrium.web.security;

import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A login whose password was right but which has steps left before the user is logged in (kept in the HTTP session,
 * the user is not authenticated meanwhile): a TOTP code, a new password instead of a one-time one, the enrolment of
 * an authenticator an administrator must have. Expires after {@link #TTL_SECONDS}.
 */
public final class PendingLogin implements Serializable {
    public static final String SESSION_ATTRIBUTE = PendingLogin.class.getName();
    static final long TTL_SECONDS = 300;

    /** What is still to do, in this order. */
    public enum Step { TOTP, CHANGE_PASSWORD, ENROL_TOTP }

    private final String username;
    private final String client;
    private final Instant startedAt;
    private final List<Step> steps;
    private boolean totpProven;

    PendingLogin(String username, String client, Instant startedAt, List<Step> steps) {
        this.username = username;
        this.client = client;
        this.startedAt = startedAt;
        this.steps = new ArrayList<>(steps);
    }

    public String username() {
        return username;
    }

    public String client() {
        return client;
    }

    public synchronized Step current() {
        return steps.isEmpty() ? null : steps.getFirst();
    }

    public synchronized boolean done() {
        return steps.isEmpty();
    }

    /** The current step succeeded. */
    public synchronized void completed(Step step) {
        if (steps.isEmpty() || steps.getFirst() != step) {
            throw new IllegalStateException("not the current step: " + step);
        }
        steps.removeFirst();
        if (step == Step.TOTP || step == Step.ENROL_TOTP) {
            totpProven = true;
        }
    }

    public synchronized boolean totpProven() {
        return totpProven;
    }

    public boolean expiredAt(Instant now) {
        return startedAt.plusSeconds(TTL_SECONDS).isBefore(now);
    }
}
