package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;

import java.util.LinkedHashMap;
import java.util.Map;

/** What users do with their own account: see it, change their password. */
@Service
public class AccountService {
    private final AccountRepository accounts;
    private final IdentityService identity;
    private final IdentityProperties props;
    private final AuditLog audit;

    AccountService(AccountRepository accounts, IdentityService identity, IdentityProperties props, AuditLog audit) {
        this.accounts = accounts;
        this.identity = identity;
        this.props = props;
        this.audit = audit;
    }

    /** The caller's account; NOT_FOUND for a caller the identity store does not know. */
    @PreAuthorize("isAuthenticated()")
    public Account me() {
        String name = CurrentUser.get().name();
        return identity.find(name).orElseThrow(() -> BrokerException.notFound("Account " + name));
    }

    /** Changes the caller's password (local accounts). */
    @PreAuthorize("isAuthenticated()")
    public void changePassword(String current, String next) {
        changePasswordFor(CurrentUser.get().name(), current, next);
    }

    /**
     * Internal (the forced change at first login, after the one-time password was checked): changes
     * {@code username}'s password; the current one must still be given.
     *
     * @throws InvalidInputException {@code current} wrong, {@code password} too short or unchanged
     */
    public void changePasswordFor(String username, String current, String next) {
        AccountRepository.Row r = accounts.find(username).orElseThrow(() -> BrokerException.notFound("Account " + username));
        if (r.source() != AccountSource.LOCAL) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "This account's password is managed by " + r.source());
        }
        Map<String, String> errors = new LinkedHashMap<>();
        if (current == null || r.passwordHash() == null || !identity.passwordEncoder().matches(current, r.passwordHash())) {
            errors.put("current", "is not your current password");
        }
        String problem = passwordProblem(next, props.passwordMinLength());
        if (problem != null) {
            errors.put("password", problem);
        } else if (next.equals(current)) {
            errors.put("password", "must differ from the current one");
        }
        if (!errors.isEmpty()) {
            audit.recordAs(username, null, "user.password-change", AuditEvent.Outcome.FAILURE, "user", username,
                    Map.of("fields", errors.keySet()));
            throw new InvalidInputException(errors);
        }
        accounts.update(username, "password_hash", identity.passwordEncoder().encode(next));
        accounts.update(username, "must_change_password", false);
        audit.recordAs(username, null, "user.password-change", AuditEvent.Outcome.SUCCESS, "user", username, null);
    }

    static String passwordProblem(String password, int minLength) {
        if (password == null || password.length() < minLength) {
            return "must be at least " + minLength + " characters";
        }
        if (password.length() > 200) {
            return "must be at most 200 characters";
        }
        if (password.isBlank()) {
            return "must not be blank";
        }
        return null;
    }
}
