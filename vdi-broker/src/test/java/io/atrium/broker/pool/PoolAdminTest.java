package io.atrium.broker.pool;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopAdminService;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.desktop.IllegalTransitionException;
import io.atrium.broker.session.SessionAdminService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Pool and desktop administration against H2 with faked VMs: validation, sizing, power actions, authorization. */
@SpringBootTest(classes = {BrokerTestApplication.class, PoolAdminTest.Edges.class})
class PoolAdminTest {

    @TestConfiguration
    static class Edges {
        @Bean
        @Primary
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    @Autowired PoolAdminService poolAdmin;
    @Autowired DesktopAdminService desktopAdmin;
    @Autowired SessionAdminService sessionAdmin;
    @Autowired DesktopService desktops;
    @Autowired FakeMachineHost machines;

    @Test
    void validationNamesEachBadField() {
        PoolSpec bad = new PoolSpec("Bad Name!", null, "windows", 0, 10, 5, 2, -1, List.of("alice", "group:ok"),
                Duration.ZERO, null, Duration.ofSeconds(-5));
        assertThatThrownBy(() -> admin(() -> poolAdmin.create(bad)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.INVALID_INPUT);
                    assertThat(e.fieldErrors()).containsOnlyKeys("name", "kind", "image", "vcpus", "memoryMb",
                            "maxSize", "spares", "entitled", "idleTimeout", "disconnectGrace", "maxSessionLength");
                    assertThat(e.fieldErrors().get("entitled")).contains("alice");
                });
        PoolSpec tooBig = spec("big", 1, 1001, 0);
        assertThatThrownBy(() -> admin(() -> poolAdmin.create(tooBig)))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.fieldErrors()).containsOnlyKeys("maxSize"));
        PoolSpec duplicate = spec("demo", 0, 1, 0);
        assertThatThrownBy(() -> admin(() -> poolAdmin.create(duplicate)))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.fieldErrors().get("name")).contains("already exists"));
    }

    @Test
    void aCreatedPoolIsProvisionedToItsMinimumSizeAndCanBeResized() {
        Pool pool = admin(() -> poolAdmin.create(spec("minsize", 2, 5, 0)));
        awaitStatus(pool, s -> s.size() == 2 && s.ready() == 2);
        assertThat(admin(() -> poolAdmin.get(pool.id())).minSize()).isEqualTo(2);

        Pool smaller = admin(() -> poolAdmin.update(pool.id(), spec("minsize", 1, 1, 0)));
        assertThat(smaller.maxSize()).isEqualTo(1);
        awaitStatus(pool, s -> s.size() == 1 && s.ready() == 1);

        assertThatThrownBy(() -> admin(() -> poolAdmin.update(pool.id(), spec("renamed", 1, 1, 0))))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.fieldErrors()).containsOnlyKeys("name"));
        assertStatus(() -> admin(() -> poolAdmin.get("no-such-pool")), BrokerStatus.NOT_FOUND);
        assertStatus(() -> admin(() -> poolAdmin.update("no-such-pool", spec("x", 0, 0, 0))), BrokerStatus.NOT_FOUND);
    }

    @Test
    void sparesFollowTheAssignedDesktopsWithinMinAndMax() {
        Pool pool = admin(() -> poolAdmin.create(spec("spares", 1, 3, 1)));
        awaitStatus(pool, s -> s.size() == 1 && s.ready() == 1);

        Desktop alices = as("alice", () -> desktops.open(pool.id()));
        awaitStatus(pool, s -> s.size() == 2 && s.ready() == 1 && s.assigned() == 1);
        Desktop bobs = as("bob", () -> desktops.open(pool.id()));
        awaitStatus(pool, s -> s.size() == 3 && s.ready() == 1 && s.assigned() == 2);
        Desktop carols = as("carol", () -> desktops.open(pool.id()));
        awaitStatus(pool, s -> s.assigned() == 3);
        assertThat(admin(() -> desktopAdmin.poolStatus(pool.id())).size()).isEqualTo(3); // never above maxSize
        assertStatus(() -> as("dave", () -> desktops.open(pool.id())), BrokerStatus.NO_DESKTOP_FREE);

        int discardsBefore = machines.discards.get();
        as("alice", () -> desktops.logOff(alices.id()));
        as("bob", () -> desktops.logOff(bobs.id()));
        as("carol", () -> desktops.logOff(carols.id()));
        // nobody left: back to max(minSize, 0 + spares) = 1 desktop
        awaitStatus(pool, s -> s.size() == 1 && s.ready() == 1 && s.assigned() == 0);
        // the surplus rows go first, their machines are discarded right after (on the provisioner's thread)
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(machines.discards.get()).isGreaterThanOrEqualTo(discardsBefore + 2));
    }

    @Test
    void deletingAPoolIsRefusedWhileDesktopsAreAssignedUnlessForced() {
        Pool pool = admin(() -> poolAdmin.create(spec("doomed", 2, 2, 0)));
        awaitStatus(pool, s -> s.ready() == 2);
        Desktop d = as("alice", () -> desktops.open(pool.id()));
        assertThatThrownBy(() -> admin(() -> poolAdmin.delete(pool.id(), false)))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE);
                    assertThat(e.getMessage()).contains("alice");
                });
        int discards = machines.discards.get();
        admin(() -> poolAdmin.delete(pool.id(), true));
        assertThat(machines.discards.get()).isGreaterThanOrEqualTo(discards + 2);
        assertThat(machines.isRunning(d.name())).isFalse();
        assertStatus(() -> admin(() -> poolAdmin.get(pool.id())), BrokerStatus.NOT_FOUND);
        assertStatus(() -> admin(() -> desktopAdmin.desktop(d.id())), BrokerStatus.NOT_FOUND);
        // the name is free again
        Pool again = admin(() -> poolAdmin.create(spec("doomed", 1, 1, 0)));
        awaitStatus(again, s -> s.ready() == 1);
    }

    @Test
    void powerActionsFollowTheStateMachine() {
        Pool pool = admin(() -> poolAdmin.create(spec("power", 2, 2, 0)));
        awaitStatus(pool, s -> s.ready() == 2);
        List<Desktop> all = admin(() -> desktopAdmin.desktopsOf(pool.id()));
        Desktop d = all.getFirst();

        assertThatThrownBy(() -> admin(() -> desktopAdmin.start(d.id())))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(DesktopState.READY);
                    assertThat(e.status().httpStatus()).isEqualTo(409);
                });
        int resets = machines.resets.get();
        admin(() -> desktopAdmin.reset(d.id()));
        assertThat(machines.resets.get()).isEqualTo(resets + 1);
        assertThat(admin(() -> desktopAdmin.screendump(d.id()))).isPresent();

        assertThat(admin(() -> desktopAdmin.shutdown(d.id())).state()).isEqualTo(DesktopState.STOPPED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !machines.isRunning(d.name()));
        assertThatThrownBy(() -> admin(() -> desktopAdmin.shutdown(d.id()))).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> admin(() -> desktopAdmin.reset(d.id()))).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> admin(() -> desktopAdmin.refresh(d.id()))).isInstanceOf(IllegalTransitionException.class);
        assertThat(admin(() -> desktopAdmin.screendump(d.id()))).isEmpty();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> admin(() -> desktopAdmin.start(d.id())));
        await().atMost(Duration.ofSeconds(10)).until(() -> admin(() -> desktopAdmin.desktop(d.id())).state() == DesktopState.READY);

        int fresh = machines.freshDisks.get();
        admin(() -> desktopAdmin.refresh(d.id()));
        await().atMost(Duration.ofSeconds(10)).until(() -> admin(() -> desktopAdmin.desktop(d.id())).state() == DesktopState.READY);
        assertThat(machines.freshDisks.get()).isGreaterThan(fresh);

        Desktop mine = as("alice", () -> desktops.open(pool.id()));
        assertThatThrownBy(() -> admin(() -> desktopAdmin.refresh(mine.id()))).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> admin(() -> desktopAdmin.shutdown(mine.id()))).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> admin(() -> desktopAdmin.delete(mine.id(), false))).isInstanceOf(IllegalTransitionException.class);
        admin(() -> sessionAdmin.logOffDesktop(mine.id()));
        assertThatThrownBy(() -> admin(() -> sessionAdmin.logOffDesktop(d.id()))).isInstanceOf(IllegalTransitionException.class);

        admin(() -> desktopAdmin.delete(d.id(), false));
        assertStatus(() -> admin(() -> desktopAdmin.desktop(d.id())), BrokerStatus.NOT_FOUND);
        assertStatus(() -> admin(() -> desktopAdmin.start("no-such-desktop")), BrokerStatus.NOT_FOUND);
        // a replacement keeps the pool at its minimum size, with a new name
        awaitStatus(pool, s -> s.size() == 2 && s.ready() == 2);
        assertThat(admin(() -> desktopAdmin.desktopsOf(pool.id()))).extracting(Desktop::name).doesNotContain(d.name());
    }

    @Test
    void aPersonalDesktopIsNotRefreshedBecauseItWouldLoseTheUsersDisk() {
        PoolSpec s = spec("personal", 1, 1, 0);
        PoolSpec personal = new PoolSpec(s.name(), PoolKind.PERSONAL, s.image(), s.vcpus(), s.memoryMb(), s.minSize(),
                s.maxSize(), s.spares(), s.entitled(), s.idleTimeout(), s.disconnectGrace(), s.maxSessionLength());
        Pool pool = admin(() -> poolAdmin.create(personal));
        awaitStatus(pool, st -> st.ready() == 1);
        Desktop d = admin(() -> desktopAdmin.desktopsOf(pool.id())).getFirst();
        assertThatThrownBy(() -> admin(() -> desktopAdmin.refresh(d.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE);
                    assertThat(e.getMessage()).contains("personal");
                });
    }

    @Test
    void onlyAdministratorsMayAdministerPools() {
        assertThatThrownBy(() -> as("alice", () -> poolAdmin.list())).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> poolAdmin.create(spec("sneaky", 0, 1, 0))))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> desktopAdmin.poolStatuses())).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> desktopAdmin.start("x"))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> as("alice", () -> desktopAdmin.screendump("x"))).isInstanceOf(AccessDeniedException.class);
        assertThat(admin(() -> poolAdmin.list())).extracting(Pool::name).doesNotContain("sneaky");
    }

    // ------------------------------------------------------------------ helpers

    private static PoolSpec spec(String name, int min, int max, int spares) {
        return new PoolSpec(name, PoolKind.POOLED, "console", 1, 128, min, max, spares, List.of("group:demo"),
                Duration.ofMinutes(30), Duration.ofMinutes(15), Duration.ofHours(8));
    }

    private void awaitStatus(Pool pool, java.util.function.Predicate<DesktopAdminService.PoolStatus> condition) {
        await().atMost(Duration.ofSeconds(15)).until(() -> condition.test(admin(() -> desktopAdmin.poolStatus(pool.id()))));
    }

    private static <T> T admin(Supplier<T> body) {
        var auth = UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN")));
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

    private static void admin(Runnable body) {
        admin(() -> {
            body.run();
            return null;
        });
    }

    private static void assertStatus(Runnable call, BrokerStatus status) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.status()).isEqualTo(status));
    }
}
