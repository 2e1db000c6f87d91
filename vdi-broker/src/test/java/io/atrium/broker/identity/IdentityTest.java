package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.MutableClock;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import io.atrium.broker.audit.AuditQuery;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.annotation.DirtiesContext;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Local accounts, the brute-force guard (on the test clock), API tokens and TOTP, against the real database. The demo
 * pool is empty (no desktops needed), the demo accounts exist.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, IdentityTest.Edges.class},
        properties = {"atrium.broker.demo.size=0"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class IdentityTest {

    @TestConfiguration
    static class Edges {
        @Bean @Primary FakeMachineHost machines() {
            return new FakeMachineHost();
        }

        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }
    }

    @Autowired IdentityService identity;
    @Autowired UserAdminService users;
    @Autowired TokenService tokens;
    @Autowired MfaService mfa;
    @Autowired AccountService account;
    @Autowired AuditLog audit;
    @Autowired MutableClock clock;
    @Autowired JdbcClient jdbc;
    @Autowired SecretBox secrets;

    static final String A = "192.0.2.1";
    static final String B = "192.0.2.2";

    @Test
    void theDemoAccountsLogInWithTheirPasswordAndNothingElse() {
        Account alice = identity.authenticatePassword("alice", "alice", A, "form");
        assertThat(alice.groups()).containsExactly("demo");
        assertThat(alice.admin()).isFalse();
        assertThat(identity.authenticatePassword("admin", "admin", A, "form").admin()).isTrue();
        assertThat(refusal(() -> identity.authenticatePassword("alice", "wrong", A, "form")))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        assertThat(refusal(() -> identity.authenticatePassword("mallory", "mallory", A, "form")))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        String hash = jdbc.sql("select password_hash from app_user where username = 'alice'").query(String.class).single();
        assertThat(hash).startsWith("{bcrypt}").doesNotContain("alice");
    }

    @Test
    void anAddressBacksOffThenIsLockedOutUntilTheLockoutEndsWhileOthersMayStillLogIn() {
        for (int i = 1; i <= 3; i++) {
            assertThat(refusal(() -> identity.authenticatePassword("alice", "wrong", A, "basic"))).as("failure %d", i)
                    .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        }
        // backoff: even the right password waits, and the client is told how long
        LoginRefusedException wait = refused(() -> identity.authenticatePassword("alice", "alice", A, "basic"));
        assertThat(wait.reason()).isEqualTo(LoginRefusedException.Reason.THROTTLED);
        assertThat(wait.retryAfter()).hasValue(Duration.ofSeconds(1));
        // bob on another address is not affected
        assertThat(identity.authenticatePassword("bob", "bob", B, "form").username()).isEqualTo("bob");

        for (int i = 4; i <= 10; i++) {
            clock.advance(Duration.ofMinutes(2)); // past each backoff
            assertThat(refusal(() -> identity.authenticatePassword("alice", "wrong", A, "basic"))).as("failure %d", i)
                    .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        }
        // ten failures: locked for 15 minutes, right password or not
        clock.advance(Duration.ofMinutes(14));
        LoginRefusedException locked = refused(() -> identity.authenticatePassword("alice", "alice", A, "form"));
        assertThat(locked.reason()).isEqualTo(LoginRefusedException.Reason.THROTTLED);
        assertThat(locked.retryAfter().orElseThrow()).isEqualTo(Duration.ofMinutes(1));
        // ... but only that address: alice from elsewhere logs in (the account is below its own limit)
        assertThat(identity.authenticatePassword("alice", "alice", B, "form").username()).isEqualTo("alice");
        assertThat(asAdmin(() -> users.lockouts())).anySatisfy(l -> {
            assertThat(l.key()).isEqualTo("addr:" + A);
            assertThat(l.lockedAt(clock.instant())).isTrue();
        });
        assertThat(asAdmin(() -> audit.search(new AuditQuery(null, null, null, "login.lockout", null, "addr:" + A, null, 5))))
                .hasSize(1);

        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        assertThat(identity.authenticatePassword("alice", "alice", A, "form").username()).isEqualTo("alice");
    }

    @Test
    void anAccountLockIsTimeLimitedAndAnAdministratorCanClearIt() {
        // 20 failures from 20 addresses: each address stays below its limits, the account locks
        for (int i = 0; i < 20; i++) {
            String from = "198.51.100." + i;
            clock.advance(Duration.ofSeconds(20));
            assertThat(refusal(() -> identity.authenticatePassword("carol", "wrong", from, "form")))
                    .isIn(LoginRefusedException.Reason.BAD_CREDENTIALS, LoginRefusedException.Reason.THROTTLED);
        }
        assertThat(refusal(() -> identity.authenticatePassword("carol", "carol", B, "form")))
                .isEqualTo(LoginRefusedException.Reason.THROTTLED);
        asAdmin(() -> users.clearLockout("user:carol"));
        assertThat(identity.authenticatePassword("carol", "carol", B, "form").username()).isEqualTo("carol");

        for (int i = 0; i < 20; i++) {
            String from = "203.0.113." + i;
            clock.advance(Duration.ofSeconds(20));
            refusal(() -> identity.authenticatePassword("carol", "wrong", from, "form"));
        }
        assertThat(refusal(() -> identity.authenticatePassword("carol", "carol", B, "form")))
                .isEqualTo(LoginRefusedException.Reason.THROTTLED);
        clock.advance(Duration.ofMinutes(15).plusSeconds(1));
        assertThat(identity.authenticatePassword("carol", "carol", B, "form").username()).isEqualTo("carol");
    }

    @Test
    void tokensAreShownOnceStoredHashedAndStopAtRevocationExpiryAndDisable() {
        ApiToken.Created created = as("alice", () -> tokens.create("ci", ApiToken.Scope.USER, Duration.ofDays(1)));
        assertThat(created.value()).startsWith("atr_").hasSize(47);
        assertThat(created.toString()).doesNotContain(created.value());
        assertThat(jdbc.sql("select token_hash from api_token").query(String.class).list())
                .singleElement().asString().doesNotContain(created.value().substring(4));
        ApiToken.Grant grant = tokens.authenticate(created.value(), A);
        assertThat(grant.account().username()).isEqualTo("alice");
        assertThat(grant.admin()).isFalse();
        assertThat(refusal(() -> tokens.authenticate("atr_madeup", A))).isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        assertThatThrownBy(() -> as("alice", () -> tokens.create("root", ApiToken.Scope.ADMIN, Duration.ofDays(1))))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).fieldErrors()).containsKey("scope"));
        assertThatThrownBy(() -> as("alice", () -> tokens.create("long", ApiToken.Scope.USER, Duration.ofDays(400))))
                .isInstanceOf(InvalidInputException.class);

        // disabled account: the token stops at once, and works again when enabled
        asAdmin(() -> users.update("alice", new UserAdminService.UserChange(null, false, null, null)));
        assertThat(refusal(() -> tokens.authenticate(created.value(), A))).isEqualTo(LoginRefusedException.Reason.DISABLED);
        asAdmin(() -> users.update("alice", new UserAdminService.UserChange(null, true, null, null)));
        assertThat(tokens.authenticate(created.value(), A).account().username()).isEqualTo("alice");

        // bob cannot revoke alice's token; alice can
        assertThatThrownBy(() -> as("bob", () -> tokens.revokeMine(created.token().id())))
                .isInstanceOf(BrokerException.class);
        as("alice", () -> tokens.revokeMine(created.token().id()));
        assertThat(refusal(() -> tokens.authenticate(created.value(), A))).isEqualTo(LoginRefusedException.Reason.TOKEN_EXPIRED);

        ApiToken.Created shortLived = as("alice", () -> tokens.create("short", ApiToken.Scope.USER, Duration.ofHours(1)));
        clock.advance(Duration.ofHours(1));
        assertThat(refusal(() -> tokens.authenticate(shortLived.value(), A))).isEqualTo(LoginRefusedException.Reason.TOKEN_EXPIRED);

        ApiToken.Created adminToken = asAdmin(() -> tokens.create("ops", ApiToken.Scope.ADMIN, Duration.ofDays(1)));
        assertThat(tokens.authenticate(adminToken.value(), A).admin()).isTrue();
        assertThat(asAdmin(() -> audit.search(new AuditQuery(null, null, "admin", "token.use", null, null, null, 5))))
                .extracting(AuditEvent::outcome).containsExactly(AuditEvent.Outcome.SUCCESS);
    }

    @Test
    void totpEnrolmentWithRecoveryCodesAndSecondFactorLogin() {
        MfaService.Enrolment e = as("alice", () -> mfa.begin());
        byte[] secret = Totp.Base32.decode(e.secretBase32());
        String stored = jdbc.sql("select totp_secret from app_user where username = 'alice'").query(String.class).single();
        assertThat(stored).startsWith("v1:").doesNotContain(e.secretBase32());
        assertThat(secrets.open(stored)).isEqualTo(secret);
        assertThat(identity.needsSecondFactor(identity.find("alice").orElseThrow())).as("not before confirmation").isFalse();

        assertThatThrownBy(() -> as("alice", () -> mfa.confirm("000000"))).isInstanceOf(InvalidInputException.class);
        List<String> recovery = as("alice", () -> mfa.confirm(Totp.code(secret, clock.instant())));
        assertThat(recovery).hasSize(10).doesNotHaveDuplicates();
        assertThat(identity.needsSecondFactor(identity.find("alice").orElseThrow())).isTrue();

        // the enrolment code itself cannot be used again; the next step's code works once
        assertThat(refusal(() -> identity.verifySecondFactor("alice", Totp.code(secret, clock.instant()), A)))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        clock.advance(Duration.ofSeconds(30));
        String code = Totp.code(secret, clock.instant());
        identity.verifySecondFactor("alice", code, A);
        assertThat(refusal(() -> identity.verifySecondFactor("alice", code, A))).as("replayed")
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        // a recovery code works once
        identity.verifySecondFactor("alice", recovery.getFirst(), A);
        assertThat(refusal(() -> identity.verifySecondFactor("alice", recovery.getFirst(), A)))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        assertThat(as("alice", () -> mfa.recoveryCodesLeft())).isEqualTo(9);

        // an administrator resets it; requiring MFA for administrators makes admin enrol
        asAdmin(() -> users.resetSecondFactor("alice"));
        assertThat(identity.needsSecondFactor(identity.find("alice").orElseThrow())).isFalse();
        Account admin = identity.find("admin").orElseThrow();
        assertThat(identity.mustEnrolSecondFactor(admin)).isFalse();
        asAdmin(() -> users.requireMfaForAdmins(true));
        assertThat(identity.mustEnrolSecondFactor(admin)).isTrue();
        assertThat(identity.needsSecondFactor(admin)).isTrue();
        assertThat(identity.needsSecondFactor(identity.find("bob").orElseThrow())).isFalse();
    }

    @Test
    void administratorsManageLocalAccountsWithOneTimePasswordsThatMustBeChanged() {
        UserAdminService.WithPassword dave = asAdmin(() -> users.create(
                new UserAdminService.NewUser("dave", "Dave", false, List.of("lab"))));
        assertThat(dave.account().mustChangePassword()).isTrue();
        assertThat(dave.account().groups()).containsExactly("lab");
        Account logged = identity.authenticatePassword("dave", dave.oneTimePassword(), A, "form");
        assertThat(logged.mustChangePassword()).isTrue();
        assertThatThrownBy(() -> account.changePasswordFor("dave", dave.oneTimePassword(), "short"))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).fieldErrors()).containsOnlyKeys("password"));
        account.changePasswordFor("dave", dave.oneTimePassword(), "a much longer secret");
        assertThat(identity.authenticatePassword("dave", "a much longer secret", A, "form").mustChangePassword()).isFalse();
        assertThat(refusal(() -> identity.authenticatePassword("dave", dave.oneTimePassword(), A, "form")))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);

        assertThatThrownBy(() -> asAdmin(() -> users.create(new UserAdminService.NewUser("bad name", null, false, List.of("ok", "no way")))))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).fieldErrors()).containsOnlyKeys("username", "groups"));
        assertThatThrownBy(() -> asAdmin(() -> users.update("admin", new UserAdminService.UserChange(null, false, null, null))))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> as("alice", () -> users.users())).isInstanceOf(AccessDeniedException.class);

        clock.advance(Duration.ofSeconds(1));
        asAdmin(() -> users.update("dave", new UserAdminService.UserChange(null, false, null, null)));
        assertThat(refusal(() -> identity.authenticatePassword("dave", "a much longer secret", A, "form")))
                .isEqualTo(LoginRefusedException.Reason.DISABLED);
        assertThat(asAdmin(() -> audit.search(new AuditQuery(null, null, "admin", "user", "user", "dave", null, 10))))
                .extracting(AuditEvent::action).containsExactly("user.disable", "user.create");
    }

    @Test
    void directoryLoginsAreRecordedAndNeverTakeOverALocalAccount() {
        Account ldap = identity.recordExternalLogin("erin", AccountSource.LDAP, "Erin", List.of("engineering", "bad group"),
                false, A);
        assertThat(ldap.groups()).containsExactly("engineering");
        assertThat(identity.currentGroups("erin")).hasValue(java.util.Set.of("engineering"));
        assertThat(identity.recordExternalLogin("erin", AccountSource.LDAP, "Erin", List.of("sales"), false, A).groups())
                .containsExactly("sales");
        assertThat(refusal(() -> identity.recordExternalLogin("admin", AccountSource.LDAP, "Evil", List.of(), true, A)))
                .isEqualTo(LoginRefusedException.Reason.BAD_CREDENTIALS);
        assertThat(identity.find("admin").orElseThrow().source()).isEqualTo(AccountSource.LOCAL);
    }

    private static LoginRefusedException.Reason refusal(Runnable r) {
        return refused(r).reason();
    }

    private static LoginRefusedException refused(Runnable r) {
        try {
            r.run();
        } catch (LoginRefusedException e) {
            return e;
        }
        throw new AssertionError("not refused");
    }

    static <T> T asAdmin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_ADMIN"), new SimpleGrantedAuthority("ROLE_USER")));
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        var previous = SecurityContextHolder.getContext();
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }

    static void asAdmin(Runnable body) {
        asAdmin(() -> {
            body.run();
            return null;
        });
    }
}
