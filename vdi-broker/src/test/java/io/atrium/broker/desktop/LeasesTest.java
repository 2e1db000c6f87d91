package io.atrium.broker.desktop;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerNode;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeMachineHost;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Leases in the database: one owner at a time, another owner's lease blocks until it expires (by the database's
 * clock), an expired one is taken over, and every acquisition grows the fence, so a holder that lost its lease can
 * neither renew nor release the new holder's.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, LeasesTest.Edges.class},
        properties = {"atrium.broker.demo.enabled=false", "atrium.broker.lease-ttl=30s"})
class LeasesTest {

    @TestConfiguration
    static class Edges {
        @Bean
        FakeMachineHost machines() {
            return new FakeMachineHost();
        }
    }

    @Autowired Leases leases;
    @Autowired ProvisionerWorkers workers;
    @Autowired JdbcClient jdbc;
    @Autowired BrokerNode node;

    private static String name() {
        return "pool:" + UUID.randomUUID();
    }

    /** A lease row of another broker that expires {@code inSeconds} from now by the database's clock (negative: past). */
    private void heldByOther(String name, long fence, int inSeconds) {
        jdbc.sql("insert into lease (name, owner, expires_at, fence) values (?, 'other-node', "
                        + "current_timestamp + cast(? as bigint) * interval '0.001' second, ?)")
                .params(name, inSeconds * 1000L, fence).update();
    }

    private void expire(String name) {
        jdbc.sql("update lease set expires_at = current_timestamp - interval '1' second where name = ?").param(name).update();
    }

    @Test
    void aLeaseHasOneOwnerAndItsFenceGrowsWithEachAcquisition() {
        String name = name();
        Leases.Lease first = leases.tryAcquire(name).orElseThrow();
        assertThat(first.owner()).isEqualTo(node.id());
        assertThat(first.fence()).isEqualTo(1);
        Leases.State held = leases.state(name).orElseThrow();
        assertThat(held.owner()).isEqualTo(node.id());
        Instant dbNow = jdbc.sql("select current_timestamp from lease where name = ?").param(name)
                .query(java.sql.Timestamp.class).single().toInstant();
        assertThat(held.expiresAt()).isBetween(dbNow.plusSeconds(25), dbNow.plusSeconds(35));

        assertThat(leases.tryAcquire(name)).as("held, even by this broker's other tasks").isEmpty();
        leases.release(first);
        assertThat(leases.state(name).orElseThrow().owner()).isNull();
        Leases.Lease second = leases.tryAcquire(name).orElseThrow();
        assertThat(second.fence()).isEqualTo(2);
        assertThat(leases.renew(second)).isTrue();
        assertThat(leases.renew(first)).as("an old acquisition cannot renew").isFalse();
        leases.release(first);
        assertThat(leases.state(name).orElseThrow().owner()).as("nor release").isEqualTo(node.id());
        leases.release(second);
    }

    @Test
    void ofManyRacingTasksExactlyOneGetsTheLease() throws Exception {
        for (int round = 0; round < 5; round++) {
            String name = name();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<java.util.Optional<Leases.Lease>>> tries = new java.util.ArrayList<>();
            try (var threads = java.util.concurrent.Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < 8; i++) {
                    tries.add(threads.submit(() -> {
                        go.await();
                        return leases.tryAcquire(name);
                    }));
                }
                go.countDown();
                long won = 0;
                for (var t : tries) {
                    won += t.get().isPresent() ? 1 : 0;
                }
                assertThat(won).as("round %d", round).isEqualTo(1);
            }
        }
    }

    @Test
    void anotherOwnersLeaseBlocksUntilItExpiresAndIsThenTakenOver() {
        String name = name();
        heldByOther(name, 7, 3600);
        assertThat(leases.tryAcquire(name)).isEmpty();
        assertThat(leases.state(name).orElseThrow().owner()).isEqualTo("other-node");

        expire(name);
        Leases.Lease taken = leases.tryAcquire(name).orElseThrow();
        assertThat(taken.fence()).isEqualTo(8);
        assertThat(leases.state(name).orElseThrow().owner()).isEqualTo(node.id());

        // the other broker comes back with its old fence: it can neither renew nor release the lease
        assertThat(leases.renew(new Leases.Lease(name, "other-node", 7))).isFalse();
        leases.release(new Leases.Lease(name, "other-node", 7));
        assertThat(leases.state(name).orElseThrow().owner()).isEqualTo(node.id());
        leases.release(taken);
    }

    @Test
    void aHolderWhoseLeaseExpiredAndWasTakenOverCannotRenewIt() {
        String name = name();
        Leases.Lease mine = leases.tryAcquire(name).orElseThrow();
        // as if this broker stalled past the expiry and another one took the lease over
        jdbc.sql("update lease set owner = 'other-node', fence = fence + 1, expires_at = current_timestamp "
                + "+ interval '1' hour where name = ?").param(name).update();
        assertThat(leases.renew(mine)).isFalse();
        leases.release(mine);
        assertThat(leases.state(name).orElseThrow().owner()).isEqualTo("other-node");
        assertThat(leases.state(name).orElseThrow().fence()).isEqualTo(mine.fence() + 1);
    }

    @Test
    void aPoolTaskWaitsForAnotherOwnersLeaseAndRunsOnceItExpired() {
        String poolId = UUID.randomUUID().toString();
        heldByOther(Leases.pool(poolId), 1, 3600);
        AtomicBoolean ran = new AtomicBoolean();
        workers.forPool(poolId, () -> ran.set(true));
        assertThat(ran).as("not run while another broker holds the pool").isFalse();

        assertThatThrownBy(() -> workers.withPool(poolId, Duration.ofMillis(200), "Pool p", () -> true))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE);
                    assertThat(e.getMessage()).contains("busy").contains("other-node");
                });

        expire(Leases.pool(poolId));
        await().atMost(Duration.ofSeconds(5)).untilTrue(ran);
        await().atMost(Duration.ofSeconds(5)).until(() -> leases.state(Leases.pool(poolId)).orElseThrow().owner() == null);
        assertThat(leases.state(Leases.pool(poolId)).orElseThrow().fence()).isEqualTo(2);
    }
}
