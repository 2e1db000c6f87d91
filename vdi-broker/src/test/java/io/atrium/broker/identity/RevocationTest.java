package io.atrium.broker.identity;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.MutableClock;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.broker.session.ConsoleConnections;
import io.atrium.broker.session.SessionEndReason;
import io.atrium.broker.session.SessionService;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.TicketService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.test.annotation.DirtiesContext;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Entitlement changes take effect at once: removing a pool's entitlement, a user's group or disabling the user ends
 * the session with ACCESS_REVOKED, closes the viewer (REVOKED), refuses new tickets and the redemption of one issued
 * before; a personal desktop keeps its disk and stays assigned. Logging out closes the user's viewers only.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, RevocationTest.Edges.class},
        properties = {"atrium.broker.demo.size=0"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class RevocationTest {

    static class FakeConsoles implements ConsoleConnections {
        final Map<String, Long> live = new ConcurrentHashMap<>();
        final List<String> closed = new CopyOnWriteArrayList<>();
        DesktopService desktops;

        void connect(String desktopId) {
            live.put(desktopId, 0L);
            desktops.viewerConnected(desktopId);
        }

        @Override
        public boolean isConnected(String desktopId) {
            return live.containsKey(desktopId);
        }

        @Override
        public long bytesFromBrowser(String desktopId) {
            return live.getOrDefault(desktopId, -1L);
        }

        @Override
        public boolean disconnect(String desktopId, CloseReason why) {
            closed.add(desktopId + " " + why);
            if (live.remove(desktopId) != null) {
                desktops.viewerDisconnected(desktopId);
                return true;
            }
            return false;
        }
    }

    @TestConfiguration
    static class Edges {
        @Bean @Primary FakeMachineHost machines() {
            return new FakeMachineHost();
        }

        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }

        @Bean FakeConsoles consoles() {
            return new FakeConsoles();
        }
    }

    @Autowired DesktopService desktops;
    @Autowired DesktopAdminService desktopAdmin;
    @Autowired PoolAdminService pools;
    @Autowired SessionService sessions;
    @Autowired TicketService tickets;
    @Autowired UserAdminService users;
    @Autowired FakeConsoles consoles;

    @BeforeEach
    void wire() {
        consoles.desktops = desktops;
        admin(() -> users.create(new UserAdminService.NewUser("dave", null, false, List.of("lab"))));
    }

    private Pool pool(String name, PoolKind kind, List<String> entitled) {
        Pool p = admin(() -> pools.create(new PoolSpec(name, kind, "console", 1, 128, 1, 2, 0, entitled,
                Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(8))));
        await().atMost(Duration.ofSeconds(10)).until(() -> admin(() -> desktopAdmin.desktopsOf(p.id())).stream()
                .anyMatch(d -> d.state() == DesktopState.READY && desktops.consoleEndpoint(d.id()).isPresent()));
        return p;
    }

    private Desktop openAndView(String user, List<String> groups, Pool p) {
        Desktop d = as(user, groups, () -> desktops.open(p.id()));
        consoles.connect(d.id());
        return d;
    }

    @Test
    void removingThePoolsEntitlementClosesTheViewerEndsTheSessionAndRefusesTickets() {
        Pool p = pool("lab", PoolKind.POOLED, List.of("group:lab"));
        Desktop d = openAndView("dave", List.of("lab"), p);
        ConsoleTicket before = as("dave", List.of("lab"), () -> tickets.issue(d.id()));

        admin(() -> pools.update(p.id(), new PoolSpec("lab", PoolKind.POOLED, "console", 1, 128, 1, 2, 0,
                List.of("group:others"), Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(8))));

        assertThat(consoles.closed).containsExactly(d.id() + " REVOKED");
        assertThat(sessions.list(p.id(), false, 10)).singleElement()
                .satisfies(s -> assertThat(s.endReason()).isEqualTo(SessionEndReason.ACCESS_REVOKED));
        assertStatus(() -> tickets.redeem(before.value(), Optional.of(d.id()), Optional.of("dave")), BrokerStatus.FORBIDDEN);
        // the pooled desktop was logged off: not dave's any more, and he sees no pool
        assertThat(as("dave", List.of("lab"), () -> desktops.myDesktops())).isEmpty();
    }

    @Test
    void removingTheUsersGroupRevokesAtOnceAndAPersonalDesktopKeepsItsDiskForTheAdministrator() {
        Pool p = pool("studio", PoolKind.PERSONAL, List.of("group:lab"));
        Desktop d = openAndView("dave", List.of("lab"), p);
        ConsoleTicket before = as("dave", List.of("lab"), () -> tickets.issue(d.id()));

        // the session authorities still say "lab": the check uses what the identity store knows now
        admin(() -> users.update("dave", new UserAdminService.UserChange(null, null, null, List.of())));

        assertThat(consoles.closed).containsExactly(d.id() + " REVOKED");
        Desktop after = admin(() -> desktopAdmin.desktop(d.id()));
        assertThat(after.assignedUser()).as("personal: stays assigned for the admin to reassign or delete").isEqualTo("dave");
        assertThat(after.state().isAssigned()).isTrue();
        assertStatus(() -> tickets.redeem(before.value(), Optional.of(d.id()), Optional.of("dave")), BrokerStatus.FORBIDDEN);
        assertStatus(() -> as("dave", List.of("lab"), () -> tickets.issue(d.id())), BrokerStatus.FORBIDDEN);

        // back in the group: tickets again
        admin(() -> users.update("dave", new UserAdminService.UserChange(null, null, null, List.of("lab"))));
        assertThat(as("dave", List.of("lab"), () -> tickets.issue(d.id())).desktopId()).isEqualTo(d.id());
    }

    @Test
    void disablingTheUserRevokesEverythingAndLoggingOutOnlyClosesViewers() {
        Pool p = pool("lab", PoolKind.POOLED, List.of("group:lab"));
        Pool q = pool("demo2", PoolKind.POOLED, List.of("user:carol"));
        Desktop carols = openAndView("carol", List.of("demo"), q);
        assertThat(sessions.closeViewersOf("carol")).isEqualTo(1);
        assertThat(consoles.closed).containsExactly(carols.id() + " LOGGED_OUT");
        assertThat(sessions.activeOn(carols.id())).as("logging out keeps the session and the desktop").isPresent();

        Desktop d = openAndView("dave", List.of("lab"), p);
        admin(() -> users.update("dave", new UserAdminService.UserChange(null, false, null, null)));
        assertThat(consoles.closed).contains(d.id() + " REVOKED");
        assertThat(sessions.activeOn(d.id())).isEmpty();
        assertStatus(() -> as("dave", List.of("lab"), () -> desktops.open(p.id())), BrokerStatus.NOT_FOUND);
    }

    private static void assertStatus(Runnable r, BrokerStatus status) {
        assertThatThrownBy(r::run).isInstanceOf(BrokerException.class)
                .satisfies(e -> assertThat(((BrokerException) e).status()).isEqualTo(status));
    }

    private static <T> T as(String user, List<String> groups, Supplier<T> body) {
        List<SimpleGrantedAuthority> authorities = new java.util.ArrayList<>(List.of(new SimpleGrantedAuthority("ROLE_USER")));
        groups.forEach(g -> authorities.add(new SimpleGrantedAuthority("GROUP_" + g)));
        return run(UsernamePasswordAuthenticationToken.authenticated(user, null, authorities), body);
    }

    private static <T> T admin(Supplier<T> body) {
        return run(UsernamePasswordAuthenticationToken.authenticated("admin", null, List.of(
                new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))), body);
    }

    private static <T> T run(UsernamePasswordAuthenticationToken auth, Supplier<T> body) {
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
