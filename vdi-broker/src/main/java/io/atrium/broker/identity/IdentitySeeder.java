package io.atrium.broker.identity;

import io.atrium.broker.BrokerProperties;
import io.atrium.broker.audit.AuditEvent;
import io.atrium.broker.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The accounts of a fresh install, at start-up:
 * <ul>
 *   <li>with the demo on ({@link IdentityProperties#demoUsers()}, by default {@code atrium.broker.demo.enabled}): the
 *       demo accounts {@code alice}, {@code bob}, {@code carol} (group {@code demo}) and {@code admin}
 *       (administrator, group {@code admins}), passwords equal to the names, created if missing;</li>
 *   <li>without it, on the very first start (no account at all): the administrator
 *       {@link IdentityProperties#initialAdmin()} with a random one-time password, printed to the log once, which
 *       must be changed at the first login. There is no default password in production.</li>
 * </ul>
 */
@Component
class IdentitySeeder implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(IdentitySeeder.class);
    static final List<String> DEMO_USERS = List.of("alice", "bob", "carol");

    private final AccountRepository accounts;
    private final IdentityService identity;
    private final IdentityProperties props;
    private final BrokerProperties broker;
    private final AuditLog audit;
    private final Clock clock;
    private volatile boolean running;

    IdentitySeeder(AccountRepository accounts, IdentityService identity, IdentityProperties props,
                   BrokerProperties broker, AuditLog audit, Clock clock) {
        this.accounts = accounts;
        this.identity = identity;
        this.props = props;
        this.broker = broker;
        this.audit = audit;
        this.clock = clock;
    }

    boolean demoUsers() {
        return props.demoUsers() != null ? props.demoUsers() : broker.demo().enabled();
    }

    @Override
    public void start() {
        running = true;
        if (demoUsers()) {
            for (String u : DEMO_USERS) {
                demo(u, false, "demo");
            }
            demo("admin", true, "admins");
            return;
        }
        if (accounts.count() == 0) {
            String password = UserAdminService.oneTimePassword();
            accounts.insert(new AccountRepository.Row(props.initialAdmin(), "Administrator", AccountSource.LOCAL,
                    identity.passwordEncoder().encode(password), true, true, true, null, false, 0, clock.instant(), null));
            audit.recordAs(AuditLog.SYSTEM, null, "user.create", AuditEvent.Outcome.SUCCESS, "user", props.initialAdmin(),
                    Map.of("source", "LOCAL", "admin", true, "initial", true));
            // The one secret Atrium ever logs, once: nobody could log in otherwise. It must be changed at first login.
            log.warn("""

                    ====================================================================
                      First start: created the administrator '{}'
                      one-time password: {}
                      It must be changed at the first login. This is not shown again.
                    ====================================================================""",
                    props.initialAdmin(), password);
        }
    }

    private void demo(String username, boolean admin, String group) {
        if (accounts.find(username).isPresent()) {
            return;
        }
        accounts.insert(new AccountRepository.Row(username, null, AccountSource.LOCAL,
                identity.passwordEncoder().encode(username), true, admin, false, null, false, 0, clock.instant(), null));
        accounts.replaceGroups(username, AccountSource.LOCAL, List.of(group));
        log.info("demo account {} created (password {})", username, username);
    }

    @Override
    public void stop() {
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 4096;
    }
}
