package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerNode;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.pool.PoolService;
import io.atrium.broker.ticket.TicketService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.atrium.broker.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The provisioner's state is in the database, so a restart (a new context on the same database and data directory)
 * keeps it: the failed starts that drive the backoff, the notice for a user whose pooled desktop's VM died, and
 * leases (this broker's own ones are taken back at once, another owner's are respected).
 */
class ProvisionerRestartTest {

    @TempDir
    Path dir;

    @TestConfiguration
    static class Edges {
        @Bean
        FakeMachineHost machines(@Value("${test.fail-starts:false}") boolean failStarts) {
            return new FakeMachineHost(failStarts);
        }
    }

    private ConfigurableApplicationContext start(boolean failStarts, String recoverDelay) {
        // command-line arguments, so that they win over the test application.properties (in-memory H2)
        return new SpringApplicationBuilder(BrokerTestApplication.class, Edges.class)
                .run("--spring.datasource.url=jdbc:h2:file:" + dir.resolve("broker") + ";DB_CLOSE_ON_EXIT=FALSE",
                        "--atrium.broker.data-dir=" + dir.resolve("data"),
                        "--atrium.broker.demo.size=1",
                        "--atrium.broker.recover-delay=" + recoverDelay,
                        "--test.fail-starts=" + failStarts,
                        "--spring.main.banner-mode=off",
                        // on PostgreSQL (-Datrium.test.db=postgres) all contexts share one schema
                        "--atrium.test.schema=prov_" + Integer.toHexString(dir.toString().hashCode()));
    }

    private static Desktop theDesktop(ConfigurableApplicationContext ctx) {
        return ctx.getBean(DesktopRepository.class).findAllLive().getFirst();
    }

    @Test
    void theFailureCountSurvivesARestartAndTheBackoffGoesOnFromIt() {
        String desktopId;
        int failures;
        // a long recover delay: after its first failure the desktop is retried only when a reconcile asks
        try (ConfigurableApplicationContext first = start(true, "10m")) {
            RecoveryRepository records = first.getBean(RecoveryRepository.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> !first.getBean(DesktopRepository.class).findAllLive().isEmpty()
                    && records.failures(theDesktop(first).id()) == 1);
            desktopId = theDesktop(first).id();
            PoolReconciler reconciler = first.getBean(PoolReconciler.class);
            reconciler.reconcile(theDesktop(first).poolId());
            await().atMost(Duration.ofSeconds(10)).until(() -> records.failures(desktopId) == 2);
            assertThat(theDesktop(first).state()).isEqualTo(DesktopState.FAILED);
            assertThat(theDesktop(first).stateReason()).contains("QEMU failed");
            failures = records.failures(desktopId);
        }

        try (ConfigurableApplicationContext second = start(true, "10m")) {
            RecoveryRepository records = second.getBean(RecoveryRepository.class);
            // the start-up reconcile tries once more: the count goes on, it does not start at 1 again
            await().atMost(Duration.ofSeconds(10)).until(() -> records.failures(desktopId) == failures + 1);
            assertThat(theDesktop(second).id()).isEqualTo(desktopId);
        }

        try (ConfigurableApplicationContext third = start(false, "50ms")) {
            // QEMU works again: the desktop comes up and its count is cleared
            await().atMost(Duration.ofSeconds(10)).until(() -> theDesktop(third).state() == DesktopState.READY);
            assertThat(third.getBean(RecoveryRepository.class).failures(desktopId)).isZero();
        }
    }

    @Test
    void aUserWhosePooledDesktopDiedIsStillToldWhyAfterARestart() {
        String desktopId;
        try (ConfigurableApplicationContext first = start(false, "50ms")) {
            DesktopRepository repo = first.getBean(DesktopRepository.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> !repo.findAllLive().isEmpty()
                    && theDesktop(first).state() == DesktopState.READY);
            String poolId = as("alice", () -> first.getBean(PoolService.class).myPools().getFirst().id());
            Desktop mine = as("alice", () -> first.getBean(DesktopService.class).open(poolId));
            desktopId = mine.id();
            first.getBean(FakeMachineHost.class).crash(mine.name());
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                Desktop now = repo.findById(mine.id()).orElseThrow();
                return now.state() == DesktopState.READY && now.assignedUser() == null;
            });
        }

        try (ConfigurableApplicationContext second = start(false, "50ms")) {
            DesktopService desktops = second.getBean(DesktopService.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> theDesktop(second).state() == DesktopState.READY);
            assertThatThrownBy(() -> as("alice", () -> desktops.myDesktop(desktopId)))
                    .isInstanceOfSatisfying(BrokerException.class, e -> {
                        assertThat(e.status()).isEqualTo(BrokerStatus.DESKTOP_UNAVAILABLE);
                        assertThat(e.getMessage()).contains("stopped unexpectedly");
                    });
            assertThatThrownBy(() -> as("alice", () -> second.getBean(TicketService.class).issue(desktopId)))
                    .isInstanceOfSatisfying(BrokerException.class,
                            e -> assertThat(e.status()).isEqualTo(BrokerStatus.DESKTOP_UNAVAILABLE));
            // someone else still gets "not yours"
            assertThatThrownBy(() -> as("bob", () -> desktops.myDesktop(desktopId)))
                    .isInstanceOfSatisfying(BrokerException.class,
                            e -> assertThat(e.status()).isEqualTo(BrokerStatus.FORBIDDEN));
        }
    }

    @Test
    void aRestartedBrokerTakesItsOwnLeasesBackAndRespectsAnotherOwners() {
        String mine = "pool:" + UUID.randomUUID();
        String theirs = "pool:" + UUID.randomUUID();
        String node;
        try (ConfigurableApplicationContext first = start(false, "50ms")) {
            node = first.getBean(BrokerNode.class).id();
            JdbcClient jdbc = first.getBean(JdbcClient.class);
            // as if this broker died while holding a lease, and another broker holds one
            for (var row : List.of(List.of(mine, node), List.of(theirs, "other-node"))) {
                jdbc.sql("insert into lease (name, owner, expires_at, fence) values (?, ?, current_timestamp "
                        + "+ interval '1' hour, 5)").params(row.get(0), row.get(1)).update();
            }
        }

        try (ConfigurableApplicationContext second = start(false, "50ms")) {
            assertThat(second.getBean(BrokerNode.class).id()).as("the same install keeps its node id").isEqualTo(node);
            Leases leases = second.getBean(Leases.class);
            Leases.Lease again = leases.tryAcquire(mine).orElseThrow();
            assertThat(again.fence()).isEqualTo(6);
            assertThat(leases.tryAcquire(theirs)).isEmpty();
            assertThat(leases.state(theirs).orElseThrow().owner()).isEqualTo("other-node");
            leases.release(again);
        }
    }
}
