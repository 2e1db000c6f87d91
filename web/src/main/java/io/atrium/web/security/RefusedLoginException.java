package io.atrium.web.security;

import io.atrium.broker.identity.LoginRefusedException;
import org.springframework.security.core.AuthenticationException;

import java.time.Duration;
import java.util.Optional;

/** A refused login as Spring Security's exception, keeping why and how long to wait (HTTP 429 + Retry-After). */
public class RefusedLoginException extends AuthenticationException {
    private final LoginRefusedException.Reason reason;
    private final transient Duration retryAfter;

    public RefusedLoginException(LoginRefusedException e) {
        super(e.getMessage(), e);
        this.reason = e.reason();
        this.retryAfter = e.retryAfter().orElse(null);
    }

    public RefusedLoginException(LoginRefusedException.Reason reason, String message) {
        super(message);
        this.reason = reason;
        this.retryAfter = null;
    }

    public LoginRefusedException.Reason reason() {
        return reason;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Whole seconds to wait, rounded up (the Retry-After header). */
    public long retryAfterSeconds() {
        return retryAfter == null ? 0 : Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
}
