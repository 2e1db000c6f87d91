package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.CurrentUser;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.audit.AuditLog;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Users and groups for administrators (every method needs {@code ROLE_ADMIN}): local accounts (create with a
 * one-time password, disable, reset password or second factor, administrator flag, group membership, delete), the
 * directory and SSO accounts seen so far (disable, extra local groups), groups, the brute-force guard's lockouts, and
 * the "require MFA for administrators" setting. Every change is audited with before/after; a change that can take
 * access away ({@link AccountChanged}) is enforced at once ({@link AccessRevocation}). Field errors name
 * {@code username}, {@code displayName}, {@code groups}, {@code enabled}, {@code admin}, {@code name}.
 */
@Service
@PreAuthorize("hasRole('ADMIN')")
public class UserAdminService {
    static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@-]{1,100}");

    /** A new local account. */
    public record NewUser(String username, String displayName, boolean admin, List<String> groups) {
    }

    /** Changes to an account; {@code null} fields stay as they are. */
    public record UserChange(String displayName, Boolean enabled, Boolean admin, List<String> groups) {
    }

    /** A created account or a reset password, with the one-time password to hand over (shown once). */
    public record WithPassword(Account account, String oneTimePassword) {
        @Override
        public String toString() {
            return "WithPassword[" + account.username() + "]";
        }
    }

    /** A group: defined here, or seen in a directory or SSO login, with its members. */
    public record Group(String name, String description, boolean defined, List<String> members) {
    }

    private final AccountRepository accounts;
    private final IdentityService identity;
    private final MfaService mfa;
    private final LoginGuard guard;
    private final AuditLog audit;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    UserAdminService(AccountRepository accounts, IdentityService identity, MfaService mfa, LoginGuard guard,
                     AuditLog audit, ApplicationEventPublisher events, Clock clock) {
        this.accounts = accounts;
        this.identity = identity;
        this.mfa = mfa;
        this.guard = guard;
        this.audit = audit;
        this.events = events;
        this.clock = clock;
    }

    public List<Account> users() {
        return accounts.all().stream().map(identity::toAccount).toList();
    }

    public Account user(String username) {
        return identity.find(username).orElseThrow(() -> BrokerException.notFound("User " + username));
    }

    @Transactional
    public WithPassword create(NewUser spec) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (spec == null || spec.username() == null || !USERNAME.matcher(spec.username()).matches()) {
            errors.put("username", "must be 1 to 100 characters: letters, digits, '.', '_', '@', '-'");
        } else if (accounts.find(spec.username()).isPresent()) {
            errors.put("username", "a user named " + spec.username() + " exists already");
        }
        if (spec != null) {
            displayName(errors, spec.displayName());
            groups(errors, spec.groups());
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        String password = oneTimePassword();
        accounts.insert(new AccountRepository.Row(spec.username(), blankToNull(spec.displayName()), AccountSource.LOCAL,
                identity.passwordEncoder().encode(password), true, spec.admin(), true, null, false, 0, clock.instant(),
                null));
        accounts.replaceGroups(spec.username(), AccountSource.LOCAL, spec.groups() == null ? List.of() : spec.groups());
        Account a = user(spec.username());
        audit.record("user.create", "user", a.username(), Map.of("source", "LOCAL", "admin", a.admin(),
                "groups", a.groups()));
        return new WithPassword(a, password);
    }

    @Transactional
    public Account update(String username, UserChange change) {
        Account before = user(username);
        Map<String, String> errors = new LinkedHashMap<>();
        if (change == null) {
            throw InvalidInputException.of("user", "is required");
        }
        displayName(errors, change.displayName());
        groups(errors, change.groups());
        boolean self = username.equals(CurrentUser.get().name());
        if (self && Boolean.FALSE.equals(change.enabled())) {
            errors.put("enabled", "you cannot disable your own account");
        }
        if (self && Boolean.FALSE.equals(change.admin())) {
            errors.put("admin", "you cannot remove your own administrator rights");
        }
        if (before.source() != AccountSource.LOCAL && change.admin() != null && change.admin() != before.admin()) {
            errors.put("admin", "comes from the " + before.source() + " provider's groups");
        }
        if (before.source() != AccountSource.LOCAL && change.displayName() != null) {
            errors.put("displayName", "comes from the " + before.source() + " provider");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        if (change.displayName() != null) {
            accounts.update(username, "display_name", blankToNull(change.displayName()));
        }
        if (change.enabled() != null) {
            accounts.update(username, "enabled", change.enabled());
        }
        if (change.admin() != null) {
            accounts.update(username, "admin", change.admin());
        }
        if (change.groups() != null) {
            accounts.replaceGroups(username, AccountSource.LOCAL, change.groups());
        }
        Account after = user(username);
        audit.record(before.enabled() && !after.enabled() ? "user.disable"
                        : !before.enabled() && after.enabled() ? "user.enable" : "user.update",
                "user", username, beforeAfter(before, after));
        events.publishEvent(new AccountChanged(username));
        return after;
    }

    /** A new one-time password for a local account; the user must change it at their next login. */
    @Transactional
    public WithPassword resetPassword(String username) {
        Account a = user(username);
        if (a.source() != AccountSource.LOCAL) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "The password of " + username + " is managed by " + a.source());
        }
        String password = oneTimePassword();
        accounts.update(username, "password_hash", identity.passwordEncoder().encode(password));
        accounts.update(username, "must_change_password", true);
        audit.record("user.password-reset", "user", username, null);
        return new WithPassword(user(username), password);
    }

    /** Removes a local account's authenticator and recovery codes (it enrols again). */
    @Transactional
    public Account resetSecondFactor(String username) {
        Account a = user(username);
        if (!a.mfaEnabled()) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, username + " has no authenticator enrolled");
        }
        mfa.clear(username);
        audit.record("user.mfa-reset", "user", username, null);
        return user(username);
    }

    /** Deletes an account (not your own); its access ends at once, its tokens go with it. */
    public void delete(String username) {
        Account a = user(username);
        if (username.equals(CurrentUser.get().name())) {
            throw new BrokerException(BrokerStatus.ILLEGAL_STATE, "You cannot delete your own account");
        }
        accounts.update(username, "enabled", false);
        events.publishEvent(new AccountChanged(username));
        accounts.delete(username);
        audit.record("user.delete", "user", username, Map.of("source", a.source().name(), "groups", a.groups()));
    }

    /** Groups defined here and groups seen in logins, with their members. */
    public List<Group> groups() {
        Map<String, Group> byName = new TreeMap<>();
        for (AccountRepository.GroupRow g : accounts.groups()) {
            byName.put(g.name(), new Group(g.name(), g.description(), true, accounts.membersOf(g.name())));
        }
        Map<String, Set<String>> members = new TreeMap<>();
        accounts.groupsOfAll().forEach((user, gs) -> gs.forEach(g -> members.computeIfAbsent(g, k -> new TreeSet<>()).add(user)));
        members.forEach((g, users) -> byName.putIfAbsent(g, new Group(g, null, false, new ArrayList<>(users))));
        return List.copyOf(byName.values());
    }

    @Transactional
    public Group createGroup(String name, String description) {
        Map<String, String> errors = new LinkedHashMap<>();
        if (!IdentityService.isGroupName(name)) {
            errors.put("name", "must be 1 to 100 characters: letters, digits, '.', '_', '@', '-'");
        } else if (accounts.group(name).isPresent()) {
            errors.put("name", "a group named " + name + " exists already");
        }
        if (description != null && description.length() > 500) {
            errors.put("description", "must be at most 500 characters");
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        accounts.insertGroup(name, blankToNull(description), clock.instant());
        audit.record("group.create", "group", name, null);
        return groups().stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
    }

    /** Deletes a defined group and its local memberships; its members lose what it entitled them to at once. */
    public void deleteGroup(String name) {
        accounts.group(name).orElseThrow(() -> BrokerException.notFound("Group " + name));
        List<String> members = accounts.deleteGroup(name);
        audit.record("group.delete", "group", name, Map.of("members", members));
        members.forEach(u -> events.publishEvent(new AccountChanged(u)));
    }

    /** Addresses and accounts with recent failed logins or a running lock. */
    public List<Lockout> lockouts() {
        return guard.current();
    }

    /** Clears a lock (and its failure count): {@code addr:<address>} or {@code user:<name>}. */
    public void clearLockout(String key) {
        if (key == null || !(key.startsWith("addr:") || key.startsWith("user:")) || !guard.clear(key)) {
            throw BrokerException.notFound("Lockout " + key);
        }
        audit.record("lockout.clear", "lockout", key, null);
    }

    public boolean mfaRequiredForAdmins() {
        return identity.mfaRequiredForAdmins();
    }

    /** Whether local administrators must log in with a TOTP code (those without one enrol at their next login). */
    public void requireMfaForAdmins(boolean required) {
        boolean before = identity.mfaRequiredForAdmins();
        accounts.setSetting(IdentityService.REQUIRE_MFA_FOR_ADMINS, Boolean.toString(required));
        audit.record("setting.update", "setting", IdentityService.REQUIRE_MFA_FOR_ADMINS,
                Map.of("before", before, "after", required));
    }

    static String oneTimePassword() {
        return Hashes.readable(4) + "-" + Hashes.readable(4) + "-" + Hashes.readable(4) + "-" + Hashes.readable(4);
    }

    private static Map<String, Object> beforeAfter(Account b, Account a) {
        Map<String, Object> before = new LinkedHashMap<>();
        Map<String, Object> after = new LinkedHashMap<>();
        diff(before, after, "displayName", b.displayName(), a.displayName());
        diff(before, after, "enabled", b.enabled(), a.enabled());
        diff(before, after, "admin", b.admin(), a.admin());
        diff(before, after, "groups", b.groups(), a.groups());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("before", before);
        d.put("after", after);
        return d;
    }

    private static void diff(Map<String, Object> before, Map<String, Object> after, String key, Object b, Object a) {
        if (!Objects.equals(b, a)) {
            before.put(key, b);
            after.put(key, a);
        }
    }

    private static void displayName(Map<String, String> errors, String displayName) {
        if (displayName != null && (displayName.length() > 200 || displayName.chars().anyMatch(c -> c < 0x20))) {
            errors.put("displayName", "must be at most 200 printable characters");
        }
    }

    private static void groups(Map<String, String> errors, List<String> groups) {
        if (groups != null) {
            List<String> bad = groups.stream().filter(g -> !IdentityService.isGroupName(g)).map(String::valueOf).toList();
            if (!bad.isEmpty()) {
                errors.put("groups", "each must be 1 to 100 characters: letters, digits, '.', '_', '@', '-'; not "
                        + String.join(", ", bad));
            }
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
