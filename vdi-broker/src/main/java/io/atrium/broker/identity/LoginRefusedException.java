package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;

import java.time.Duration;
import java.util.Optional;

/**
 * A login (password, second factor or token) that was refused. The message is safe to show: it never says whether
 * the account exists.
 */
public class LoginRefusedException extends BrokerException {
    /** Why a login was refused. */
    public enum Reason {
        /** Unknown account, wrong password, wrong code or unknown token: the same answer for each. */
        BAD_CREDENTIALS,
        /** The account is disabled. */
        DISABLED,
        /** Too many failures from this address or for this account: wait {@link #retryAfter()}. */
        THROTTLED,
        /** The token expired or was revoked. */
        TOKEN_EXPIRED
    }

    private final Reason reason;
    private final Duration retryAfter;

    public LoginRefusedException(Reason reason, String message, Duration retryAfter) {
        super(reason == Reason.THROTTLED ? BrokerStatus.TOO_MANY_REQUESTS : BrokerStatus.UNAUTHENTICATED, message);
        this.reason = reason;
        this.retryAfter = retryAfter;
    }

    static LoginRefusedException badCredentials() {
        return new LoginRefusedException(Reason.BAD_CREDENTIALS, "Wrong user name or password.", null);
    }

    static LoginRefusedException throttled(Duration retryAfter) {
        long s = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return new LoginRefusedException(Reason.THROTTLED,
                "Too many failed attempts. Try again in " + s + " second" + (s == 1 ? "" : "s") + ".", retryAfter);
    }

    public Reason reason() {
        return reason;
    }

    /** How long the client should wait before trying again (only for {@link Reason#THROTTLED}). */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
