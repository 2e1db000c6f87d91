package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeDesktopMachines;
import io.atrium.broker.MutableClock;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolService;
import io.atrium.broker.ticket.ConsoleTicket;
import io.atrium.broker.ticket.RedeemedTicket;
import io.atrium.broker.ticket.TicketService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.test.annotation.DirtiesContext;

import java.time.Duration;
import java.util.Optional;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The broker's user flows against a real (H2) database, with VMs faked at the edge. */
@SpringBootTest(classes = {BrokerTestApplication.class, BrokerFlowTest.Edges.class})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class BrokerFlowTest {

    @TestConfiguration
    static class Edges {
        @Bean
        @Primary
        FakeDesktopMachines machines() {
            return new FakeDesktopMachines();
        }

        @Bean
        @Primary
        MutableClock testClock() {
            return new MutableClock();
        }
    }

    @Autowired DesktopService desktops;
    @Autowired TicketService tickets;
    @Autowired PoolService pools;
    @Autowired DesktopRepository repo;
    @Autowired FakeDesktopMachines machines;
    @Autowired MutableClock clock;
    @Autowired io.atrium.broker.pool.PoolRepository poolRepository;
    @Autowired DesktopProvisioner provisioner;

    String poolId;

    @BeforeEach
    void demoPoolIsReady() {
        poolId = as("alice", () -> pools.myPools().getFirst().id());
        await().atMost(Duration.ofSeconds(10)).until(() -> repo.findByPool(poolId).stream()
                .filter(d -> d.state() == DesktopState.READY).count() == 3);
    }

    @Test
    void openingAssignsAFreeDesktopAndThenReturnsTheSameOne() {
        Desktop first = as("alice", () -> desktops.open(poolId));
        Desktop again = as("alice", () -> desktops.open(poolId));
        assertThat(first.state()).isEqualTo(DesktopState.ASSIGNED);
        assertThat(first.assignedUser()).isEqualTo("alice");
        assertThat(again.id()).isEqualTo(first.id());
        var card = as("alice", () -> desktops.myDesktops()).getFirst();
        assertThat(card.desktop()).map(Desktop::id).contains(first.id());
        assertThat(card.free()).isEqualTo(2);
    }

    @Test
    void anotherUserCanNeverOpenMyDesktop() {
        Desktop alices = as("alice", () -> desktops.open(poolId));
        Desktop bobs = as("bob", () -> desktops.open(poolId));
        assertThat(bobs.id()).isNotEqualTo(alices.id());
        assertThatThrownBy(() -> as("bob", () -> desktops.myDesktop(alices.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.FORBIDDEN));
        assertThatThrownBy(() -> as("bob", () -> tickets.issue(alices.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.FORBIDDEN));
        assertThatThrownBy(() -> as("bob", () -> desktops.logOff(alices.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.FORBIDDEN));
    }

    @Test
    void aMissingDesktopIsNotFound() {
        assertThatThrownBy(() -> as("alice", () -> desktops.myDesktop("no-such-desktop")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        assertThatThrownBy(() -> as("alice", () -> desktops.open("no-such-pool")))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status().httpStatus()).isEqualTo(404));
    }

    @Test
    void servicesRefuseCallersWhoAreNotLoggedIn() {
        assertThatThrownBy(() -> desktops.open(poolId)).isInstanceOfAny(
                AuthenticationCredentialsNotFoundException.class, AuthorizationDeniedException.class);
        assertThatThrownBy(() -> tickets.issue("x")).isInstanceOfAny(
                AuthenticationCredentialsNotFoundException.class, AuthorizationDeniedException.class);
    }

    @Test
    void whenAllDesktopsAreTakenTheAnswerIsNoDesktopFree() {
        as("alice", () -> desktops.open(poolId));
        as("bob", () -> desktops.open(poolId));
        as("carol", () -> desktops.open(poolId));
        assertThatThrownBy(() -> as("dave", () -> desktops.open(poolId)))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.NO_DESKTOP_FREE);
                    assertThat(e.getMessage()).contains("No desktop is free");
                });
    }

    @Test
    void aTicketIsSingleUseBoundToItsUserAndDesktopAndExpires() {
        Desktop d = as("alice", () -> desktops.open(poolId));
        ConsoleTicket t = as("alice", () -> tickets.issue(d.id()));
        assertThat(t.toString()).doesNotContain(t.value());
        assertThat(Duration.between(clock.instant(), t.expiresAt())).isLessThanOrEqualTo(Duration.ofSeconds(30));

        RedeemedTicket ok = tickets.redeem(t.value(), Optional.of(d.id()), Optional.of("alice"));
        assertThat(ok.desktopId()).isEqualTo(d.id());
        assertThat(ok.username()).isEqualTo("alice");
        assertThat(ok.console()).isEqualTo(desktops.consoleEndpoint(d.id()).orElseThrow());
        assertStatus(() -> tickets.redeem(t.value(), Optional.empty(), Optional.empty()), BrokerStatus.TICKET_USED);

        ConsoleTicket late = as("alice", () -> tickets.issue(d.id()));
        clock.advance(Duration.ofSeconds(31));
        assertStatus(() -> tickets.redeem(late.value(), Optional.empty(), Optional.empty()), BrokerStatus.TICKET_EXPIRED);

        assertStatus(() -> tickets.redeem("made-up-ticket", Optional.empty(), Optional.empty()), BrokerStatus.TICKET_INVALID);
        assertStatus(() -> tickets.redeem("", Optional.empty(), Optional.empty()), BrokerStatus.TICKET_INVALID);

        ConsoleTicket stolen = as("alice", () -> tickets.issue(d.id()));
        assertStatus(() -> tickets.redeem(stolen.value(), Optional.empty(), Optional.of("bob")), BrokerStatus.FORBIDDEN);
        ConsoleTicket wrongDesktop = as("alice", () -> tickets.issue(d.id()));
        assertStatus(() -> tickets.redeem(wrongDesktop.value(), Optional.of("other"), Optional.empty()), BrokerStatus.FORBIDDEN);
    }

    @Test
    void aCrashedVmMarksTheDesktopFailedAndItIsProvisionedAgain() {
        Desktop d = as("alice", () -> desktops.open(poolId));
        int startsBefore = machines.starts.get();
        machines.crash(d.id());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Desktop now = repo.findById(d.id()).orElseThrow();
            assertThat(now.state()).isEqualTo(DesktopState.READY);
            assertThat(now.assignedUser()).isNull();
        });
        assertThat(machines.starts.get()).isGreaterThan(startsBefore);
        // Alice is told what happened, not just "not yours".
        assertThatThrownBy(() -> as("alice", () -> tickets.issue(d.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.DESKTOP_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("stopped unexpectedly");
                });
    }

    @Test
    void aPersonalDesktopSurvivesACrashWithItsOwnerAndItsDisk() {
        Pool personal = Pool.fixed(java.util.UUID.randomUUID().toString(), "mine", PoolKind.PERSONAL, "console", 1, 128, 1,
                java.util.List.of("group:demo"), clock.instant());
        poolRepository.save(personal);
        provisioner.reconcile(personal);
        await().atMost(Duration.ofSeconds(10)).until(() -> repo.findByPool(personal.id()).stream()
                .anyMatch(x -> x.state() == DesktopState.READY));
        Desktop d = as("alice", () -> desktops.open(personal.id()));
        int fresh = machines.freshDisks.get();
        machines.crash(d.id());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Desktop now = repo.findById(d.id()).orElseThrow();
            assertThat(now.state()).isEqualTo(DesktopState.ASSIGNED);
            assertThat(now.assignedUser()).isEqualTo("alice");
        });
        assertThat(machines.freshDisks.get()).as("the personal disk is kept").isEqualTo(fresh);
        assertThat(as("alice", () -> tickets.issue(d.id())).desktopId()).isEqualTo(d.id());
    }

    @Test
    void loggingOffRefreshesAPooledDesktopForTheNextUser() {
        Desktop d = as("alice", () -> desktops.open(poolId));
        int fresh = machines.freshDisks.get();
        as("alice", () -> desktops.logOff(d.id()));
        await().atMost(Duration.ofSeconds(10)).until(() -> repo.findById(d.id()).orElseThrow().state() == DesktopState.READY);
        assertThat(machines.freshDisks.get()).isEqualTo(fresh + 1);
        assertThat(repo.findById(d.id()).orElseThrow().assignedUser()).isNull();
    }

    @Test
    void theStateMachineRefusesIllegalTransitions() {
        assertThat(DesktopState.READY.canBecome(DesktopState.ASSIGNED)).isTrue();
        assertThat(DesktopState.READY.canBecome(DesktopState.CONNECTED)).isFalse();
        assertThat(DesktopState.DELETED.canBecome(DesktopState.READY)).isFalse();
        assertThat(DesktopState.FAILED.canBecome(DesktopState.ASSIGNED)).isFalse();
        Desktop d = as("alice", () -> desktops.open(poolId));
        repo.transition(d.id(), java.util.List.of(DesktopState.ASSIGNED), DesktopState.LOGGING_OFF,
                DesktopRepository.UserChange.KEEP, null);
        assertThatThrownBy(() -> as("alice", () -> desktops.logOff(d.id())))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.from()).isEqualTo(DesktopState.LOGGING_OFF);
                    assertThat(e.status().httpStatus()).isEqualTo(409);
                });
    }

    private static void assertStatus(Runnable call, BrokerStatus status) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.status()).isEqualTo(status));
    }
}
