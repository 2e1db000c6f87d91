package io.atrium.broker.desktop;

import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The state table is enforced where states are written: {@code DesktopRepository.transition} accepts exactly the
 * transitions {@link DesktopState#canBecome} allows and refuses every other one with an
 * {@link IllegalTransitionException}, writing nothing; a service action the state does not allow is refused too.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, DesktopStateTableTest.Edges.class},
        properties = "atrium.broker.demo.enabled=false")
class DesktopStateTableTest {

    @TestConfiguration
    static class Edges {
        @Bean
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    @Autowired DesktopRepository repo;
    @Autowired PoolRepository pools;
    @Autowired DesktopService desktops;
    @Autowired DesktopAdminService admin;
    @Autowired PoolReconciler reconciler;
    @Autowired FakeMachineHost machines;

    Pool pool;
    int made;

    @BeforeEach
    void emptyPool() {
        pool = Pool.fixed(UUID.randomUUID().toString(), "table-" + UUID.randomUUID().toString().substring(0, 8),
                PoolKind.POOLED, "console", 1, 128, 0, List.of("group:demo"), Instant.now());
        pools.save(pool);
    }

    private Desktop desktopIn(DesktopState state) {
        made++;
        Instant now = Instant.now();
        Desktop d = new Desktop(UUID.randomUUID().toString(), pool.id(), pool.name() + "-" + made, state,
                state.isAssigned() ? "user" + made : null, PoolReconciler.randomMac(), null, 0, now, now);
        repo.insert(d);
        return repo.findById(d.id()).orElseThrow();
    }

    @Test
    void everyTransitionOfTheTableIsAcceptedAndEveryOtherIsRefused() {
        int legal = 0;
        int refused = 0;
        for (DesktopState from : DesktopState.values()) {
            for (DesktopState to : DesktopState.values()) {
                Desktop d = desktopIn(from);
                if (from.canBecome(to)) {
                    assertThat(repo.transition(d.id(), List.of(from), to, DesktopRepository.UserChange.KEEP, null))
                            .as("%s -> %s", from, to).isTrue();
                    Desktop after = repo.findById(d.id()).orElseThrow();
                    assertThat(after.state()).as("%s -> %s", from, to).isEqualTo(to);
                    assertThat(after.version()).isEqualTo(d.version() + 1);
                    legal++;
                } else {
                    assertThatThrownBy(() -> repo.transition(d.id(), List.of(from), to,
                            DesktopRepository.UserChange.KEEP, "must not be written"))
                            .as("%s -> %s", from, to)
                            .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                                assertThat(e.from()).isEqualTo(from);
                                assertThat(e.to()).isEqualTo(to);
                                assertThat(e.status().httpStatus()).isEqualTo(409);
                            });
                    assertThat(repo.findById(d.id()).orElseThrow()).as("%s -> %s writes nothing", from, to)
                            .isEqualTo(d);
                    refused++;
                }
            }
        }
        assertThat(legal).as("transitions in the table").isEqualTo(32);
        assertThat(refused).isEqualTo(100 - 32);
    }

    @Test
    void aFromListWithOneIllegalStateIsRefusedWhateverTheDesktopsState() {
        Desktop ready = desktopIn(DesktopState.READY);
        // READY -> STOPPED is legal, ASSIGNED -> STOPPED is not: the call is a bug and refused as a whole
        assertThatThrownBy(() -> repo.transition(ready.id(), List.of(DesktopState.READY, DesktopState.ASSIGNED),
                DesktopState.STOPPED, DesktopRepository.UserChange.KEEP, null))
                .isInstanceOfSatisfying(IllegalTransitionException.class,
                        e -> assertThat(e.from()).isEqualTo(DesktopState.ASSIGNED));
        assertThat(repo.findById(ready.id()).orElseThrow().state()).isEqualTo(DesktopState.READY);
    }

    @Test
    void aLegalTransitionFromAnotherStateThanTheCurrentOneChangesNothing() {
        Desktop failed = desktopIn(DesktopState.FAILED);
        assertThat(repo.transition(failed.id(), List.of(DesktopState.READY), DesktopState.ASSIGNED,
                DesktopRepository.UserChange.set("alice"), null)).isFalse();
        assertThat(repo.findById(failed.id()).orElseThrow()).isEqualTo(failed);
    }

    @Test
    void theNamedStateSetsAgreeWithTheTable() {
        assertThat(DesktopState.ASSIGNED_STATES).allMatch(DesktopState::isAssigned);
        assertThat(EnumSet.allOf(DesktopState.class)).filteredOn(DesktopState::isAssigned)
                .containsExactlyInAnyOrderElementsOf(DesktopState.ASSIGNED_STATES);
        assertThat(DesktopState.MACHINE_EXPECTED).containsAll(DesktopState.RUNNING)
                .allMatch(s -> s.canBecome(DesktopState.FAILED));
        assertThat(DesktopState.NEEDS_PROVISIONING).allMatch(s -> s == DesktopState.PROVISIONING
                || s.canBecome(DesktopState.PROVISIONING));
        assertThat(DesktopState.SURPLUS_REMOVABLE).allMatch(s -> s.canBecome(DesktopState.DELETED));
        assertThat(DesktopState.predecessorsOf(DesktopState.CONNECTED))
                .isEqualTo(Set.of(DesktopState.ASSIGNED, DesktopState.DISCONNECTED));
    }

    @Test
    void anAdministratorCannotShutDownADesktopInUseAndNothingChanges() {
        Pool demo = Pool.fixed(UUID.randomUUID().toString(), "inuse", PoolKind.POOLED, "console", 1, 128, 1,
                List.of("group:demo"), Instant.now());
        pools.save(demo);
        reconciler.reconcile(demo);
        await().atMost(Duration.ofSeconds(10)).until(() -> repo.findByPool(demo.id()).stream()
                .anyMatch(x -> x.state() == DesktopState.READY));
        Desktop mine = as("alice", () -> desktops.open(demo.id()));
        int shutdowns = machines.shutdowns.get();

        assertThatThrownBy(() -> asAdmin(() -> admin.shutdown(mine.id())))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(DesktopState.ASSIGNED);
                    assertThat(e.to()).isEqualTo(DesktopState.STOPPED);
                    assertThat(e.getMessage()).contains("in use");
                });
        Desktop after = repo.findById(mine.id()).orElseThrow();
        assertThat(after.state()).isEqualTo(DesktopState.ASSIGNED);
        assertThat(after.assignedUser()).isEqualTo("alice");
        assertThat(machines.isRunning(mine.name())).isTrue();
        assertThat(machines.shutdowns.get()).isEqualTo(shutdowns);

        // the refused call left the desktop's lease free: once she logged off it can be shut down
        as("alice", () -> desktops.logOff(mine.id()));
        await().atMost(Duration.ofSeconds(10)).until(() -> repo.findById(mine.id()).orElseThrow().state() == DesktopState.READY);
        assertThat(asAdmin(() -> admin.shutdown(mine.id())).state()).isEqualTo(DesktopState.STOPPED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !machines.isRunning(mine.name()));
    }

    private static <T> T asAdmin(Supplier<T> body) {
        var previous = SecurityContextHolder.getContext();
        var ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("admin", null,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN"))));
        SecurityContextHolder.setContext(ctx);
        try {
            return body.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
