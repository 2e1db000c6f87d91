package io.atrium.broker.image;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.FakeImageHost;
import io.atrium.broker.FakeMachineHost;
import io.atrium.broker.InvalidInputException;
import io.atrium.broker.MutableClock;
import io.atrium.broker.desktop.Desktop;
import io.atrium.broker.desktop.DesktopService;
import io.atrium.broker.desktop.DesktopState;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolAdminService;
import io.atrium.broker.pool.PoolKind;
import io.atrium.broker.pool.PoolSpec;
import io.atrium.broker.session.SessionEndReason;
import io.atrium.broker.session.SessionService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.annotation.DirtiesContext;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.atrium.broker.TestUsers.as;
import static io.atrium.broker.image.ImageLibraryTest.asAdmin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Publishing versions to pools, with the hosts faked at the edges and the rollout runner driven by the test: at log
 * off (idle desktops now, busy ones at their user's log off), forced (told, grace, logged off, in batches, stopped at
 * the first failed desktop), rollback, canary, personal desktops that keep their disks, per-desktop progress.
 */
@SpringBootTest(classes = {BrokerTestApplication.class, RolloutTest.Edges.class},
        properties = {"atrium.broker.images.rollout-check-period=0", "atrium.broker.demo.enabled=false"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class RolloutTest {

    @TestConfiguration
    static class Edges {
        @Bean @Primary FakeMachineHost machines() {
            return new FakeMachineHost();
        }

        @Bean @Primary FakeImageHost imageHost() {
            return new FakeImageHost();
        }

        @Bean @Primary MutableClock testClock() {
            return new MutableClock();
        }
    }

    @Autowired ImageLibraryService library;
    @Autowired RolloutService rollouts;
    @Autowired RolloutRunner runner;
    @Autowired ImageRepository repo;
    @Autowired PoolImageRepository pins;
    @Autowired PoolAdminService poolAdmin;
    @Autowired DesktopService desktops;
    @Autowired SessionService sessions;
    @Autowired ImageJobs jobs;
    @Autowired FakeMachineHost machines;
    @Autowired MutableClock clock;

    String imageId;
    ImageVersion v1;
    ImageVersion v2;

    @BeforeEach
    void aReadyVersion() {
        imageId = asAdmin(() -> library.createImage("debian", null)).id();
        v1 = ready();
    }

    @Test
    void atLogOffIdleDesktopsAreReplacedNowAndBusyOnesWhenTheirUserLogsOff() {
        Pool pool = pool("lab", PoolKind.POOLED, 3);
        assertThat(progress(pool)).containsOnlyKeys(names(pool)).containsValue(RolloutStatus.Progress.NEW);
        assertThat(versionsOf(pool).values()).containsOnly(v1.id());
        Desktop alices = as("alice", () -> desktops.open(pool.id()));

        Rollout r = asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(v2.id(), null, null, 2)));
        assertThat(r.mode()).isEqualTo(Rollout.Mode.AT_LOGOFF);
        assertThat(repo.findVersion(v2.id()).orElseThrow().state()).isEqualTo(VersionState.PUBLISHED);
        runner.tick();
        awaitReady(pool, 3);
        Map<String, RolloutStatus.Progress> p = progress(pool);
        assertThat(p.get(alices.name())).as("busy: replaced at log off").isEqualTo(RolloutStatus.Progress.OLD);
        assertThat(p.values()).containsOnly(RolloutStatus.Progress.OLD, RolloutStatus.Progress.NEW)
                .filteredOn(x -> x == RolloutStatus.Progress.NEW).hasSize(2);
        runner.tick();
        assertThat(pins.running(pool.id())).as("waits for alice").isPresent();

        as("alice", () -> desktops.logOff(alices.id()));
        awaitReady(pool, 3);
        runner.tick();
        assertThat(pins.running(pool.id())).isEmpty();
        assertThat(pins.latest(pool.id()).orElseThrow().state()).isEqualTo(Rollout.State.DONE);
        assertThat(pins.pin(pool.id()).flatMap(PoolImageRepository.Pin::version)).contains(v2.id());
        assertThat(versionsOf(pool).values()).containsOnly(v2.id());
        assertThat(repo.findVersion(v1.id()).orElseThrow().state()).isEqualTo(VersionState.SUPERSEDED);

        // a rollback republishes v1: fast, its files and template are still there
        RolloutStatus before = asAdmin(() -> rollouts.status(pool.id()));
        assertThat(before.rollbackTarget()).map(ImageVersion::id).contains(v1.id());
        Rollout back = asAdmin(() -> rollouts.rollback(pool.id(), new RolloutService.PublishSpec(null, null, null, 3)));
        assertThat(back.rollback()).isTrue();
        assertThat(back.to()).isEqualTo(v1.id());
        runner.tick();
        awaitReady(pool, 3);
        runner.tick();
        assertThat(pins.pin(pool.id()).flatMap(PoolImageRepository.Pin::version)).contains(v1.id());
        assertThat(versionsOf(pool).values()).containsOnly(v1.id());
        assertThat(repo.findVersion(v1.id()).orElseThrow().state()).isEqualTo(VersionState.PUBLISHED);
        assertThat(repo.findVersion(v2.id()).orElseThrow().state()).isEqualTo(VersionState.SUPERSEDED);
    }

    @Test
    void forcedUsersAreToldThenLoggedOffInBatchesAndTheRolloutStopsAtTheFirstFailure() {
        Pool pool = pool("lab", PoolKind.POOLED, 3);
        Map<String, Desktop> byUser = Map.of("alice", open("alice", pool), "bob", open("bob", pool),
                "carol", open("carol", pool));
        asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(v2.id(), "FORCED", 60L, 1)));
        runner.tick();
        List<String> told = byUser.entrySet().stream().filter(e -> as(e.getKey(),
                () -> rollouts.logoffNotice(e.getValue().id())).isPresent()).map(Map.Entry::getKey).toList();
        assertThat(told).as("one batch").hasSize(1);
        String first = told.getFirst();
        assertThat(progress(pool).get(byUser.get(first).name())).isEqualTo(RolloutStatus.Progress.NOTIFIED);
        // nobody else is told while the batch is in flight, and nobody is logged off before the grace period
        runner.tick();
        clock.advance(Duration.ofSeconds(30));
        runner.tick();
        assertThat(desktops.find(byUser.get(first).id()).orElseThrow().assignedUser()).isEqualTo(first);

        clock.advance(Duration.ofSeconds(31));
        runner.tick();
        assertThat(sessions.list(pool.id(), false, 10)).anySatisfy(s -> {
            assertThat(s.username()).isEqualTo(first);
            assertThat(s.endReason()).isEqualTo(SessionEndReason.ADMIN_LOGOFF);
        });
        awaitReady(pool, 1);
        assertThat(versionsOf(pool).get(byUser.get(first).id())).isEqualTo(v2.id());

        // v2 breaks: the next replaced desktop fails, and the rollout stops there
        machines.failVersions.add(v2.id());
        runner.tick();
        String second = byUser.entrySet().stream().filter(e -> !e.getKey().equals(first)
                && as(e.getKey(), () -> rollouts.logoffNotice(e.getValue().id())).isPresent())
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        clock.advance(Duration.ofSeconds(61));
        runner.tick();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runner.tick();
            return pins.running(pool.id()).isEmpty();
        });
        Rollout stopped = pins.latest(pool.id()).orElseThrow();
        assertThat(stopped.state()).isEqualTo(Rollout.State.FAILED);
        assertThat(stopped.message()).contains(byUser.get(second).name()).contains("failed on debian v2");
        String third = byUser.keySet().stream().filter(u -> !u.equals(first) && !u.equals(second)).findFirst()
                .orElseThrow();
        assertThat(as(third, () -> rollouts.logoffNotice(byUser.get(third).id()))).as("never told").isEmpty();
        assertThat(desktops.find(byUser.get(third).id()).orElseThrow().assignedUser()).isEqualTo(third);
        // the pool keeps v1; the failed desktop comes back on it
        assertThat(pins.pin(pool.id()).flatMap(PoolImageRepository.Pin::version)).contains(v1.id());
        await().atMost(Duration.ofSeconds(10)).until(() -> desktops.find(byUser.get(second).id()).orElseThrow()
                .state() == DesktopState.READY);
        assertThat(versionsOf(pool).get(byUser.get(second).id())).isEqualTo(v1.id());
    }

    @Test
    void aCanaryRunsOnNDesktopsAndGoesAwayAgain() {
        Pool pool = pool("lab", PoolKind.POOLED, 3);
        RolloutStatus status = asAdmin(() -> rollouts.setCanary(pool.id(), v2.id(), 1));
        assertThat(status.canary()).map(ImageVersion::id).contains(v2.id());
        runner.tick();
        awaitReady(pool, 3);
        runner.tick();
        awaitReady(pool, 3);
        assertThat(progress(pool).values()).filteredOn(p -> p == RolloutStatus.Progress.CANARY).hasSize(1);
        assertThat(versionsOf(pool).values()).filteredOn(v2.id()::equals).hasSize(1);

        asAdmin(() -> rollouts.setCanary(pool.id(), null, null));
        awaitReady(pool, 3);
        assertThat(versionsOf(pool).values()).containsOnly(v1.id());
        assertThat(repo.findVersion(v2.id()).orElseThrow().state()).isEqualTo(VersionState.SUPERSEDED);
    }

    @Test
    void personalDesktopsKeepTheirDisks() {
        Pool pool = pool("mine", PoolKind.PERSONAL, 2);
        Desktop alices = open("alice", pool);
        int starts = machines.starts.get();
        asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(v2.id(), "FORCED", 0L, 5)));
        runner.tick();
        assertThat(pins.latest(pool.id()).orElseThrow().state()).isEqualTo(Rollout.State.DONE);
        assertThat(pins.latest(pool.id()).orElseThrow().message()).contains("personal desktops keep their disks");
        assertThat(machines.starts.get()).as("nothing recreated").isEqualTo(starts);
        assertThat(desktops.find(alices.id()).orElseThrow().assignedUser()).isEqualTo("alice");
        assertThat(progress(pool).values()).containsOnly(RolloutStatus.Progress.KEPT);
    }

    @Test
    void publishingRefusesWhatCannotBePublished() {
        Pool pool = pool("lab", PoolKind.POOLED, 1);
        ImageVersion uploading = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec(
                "qcow2", null, null, null, true)));
        assertThatThrownBy(() -> asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(
                uploading.id(), "SOMETIMES", -1L, 0)))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.fieldErrors()).containsKeys("versionId", "mode", "graceSeconds", "batchSize"));
        assertThatThrownBy(() -> asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(
                FakeImageHost.CONSOLE_VERSION, null, null, null)))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.fieldErrors().get("versionId")).contains("pool lab uses image debian"));
        assertThatThrownBy(() -> asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(
                v1.id(), null, null, null)))).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.getMessage()).contains("pins debian v1 already"));
        asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(v2.id(), null, null, null)));
        assertThatThrownBy(() -> asAdmin(() -> rollouts.publish(pool.id(), new RolloutService.PublishSpec(
                v2.id(), null, null, null)))).isInstanceOfSatisfying(BrokerException.class,
                e -> assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE));
        assertThatThrownBy(() -> asAdmin(() -> library.retire(v2.id())))
                .isInstanceOf(IllegalVersionTransitionException.class);
        assertThatThrownBy(() -> asAdmin(() -> rollouts.setCanary(pool.id(), v2.id(), 0)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.fieldErrors()).containsKey("size"));
        Desktop alices = open("alice", pool);
        assertThatThrownBy(() -> as("bob", () -> rollouts.logoffNotice(alices.id())))
                .isInstanceOfSatisfying(BrokerException.class, e -> assertThat(e.status()).isEqualTo(BrokerStatus.FORBIDDEN));
    }

    // ------------------------------------------------------------------ helpers

    ImageVersion ready() {
        ImageVersion v = asAdmin(() -> library.startUpload(imageId, new ImageLibraryService.UploadSpec("qcow2", null,
                null, 64L, true)));
        asAdmin(() -> library.receive(v.id(), 0, new ByteArrayInputStream(new byte[64]), 64L));
        await().atMost(Duration.ofSeconds(15)).until(() -> jobs.idle()
                && repo.findVersion(v.id()).orElseThrow().state() == VersionState.READY);
        return repo.findVersion(v.id()).orElseThrow();
    }

    /** A pool on v1 (the newest version when it is made), then v2 becomes ready. */
    Pool pool(String name, PoolKind kind, int size) {
        Pool pool = asAdmin(() -> poolAdmin.create(new PoolSpec(name, kind, "debian", 1, 512, size, size, 0,
                List.of("group:demo"), Pool.DEFAULT_IDLE_TIMEOUT, Pool.DEFAULT_DISCONNECT_GRACE,
                Pool.DEFAULT_MAX_SESSION)));
        awaitReady(pool, size);
        assertThat(pins.pin(pool.id()).flatMap(PoolImageRepository.Pin::version)).contains(v1.id());
        v2 = ready();
        return pool;
    }

    Desktop open(String user, Pool pool) {
        return as(user, () -> desktops.open(pool.id()));
    }

    /** Waits until at least {@code ready} desktops are usable and none is being replaced. */
    void awaitReady(Pool pool, int ready) {
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            List<Desktop> all = desktops.desktopsOfPool(pool.id());
            return all.stream().filter(d -> d.state() == DesktopState.READY || d.state().isAssigned()).count() >= ready
                    && all.stream().noneMatch(d -> d.state() == DesktopState.PROVISIONING
                    || d.state() == DesktopState.REFRESHING || d.state() == DesktopState.LOGGING_OFF);
        });
    }

    Map<String, String> versionsOf(Pool pool) {
        return pins.desktopVersions(pool.id());
    }

    Map<String, RolloutStatus.Progress> progress(Pool pool) {
        return asAdmin(() -> rollouts.status(pool.id())).desktops().stream()
                .collect(Collectors.toMap(RolloutStatus.DesktopProgress::name, RolloutStatus.DesktopProgress::progress));
    }

    List<String> names(Pool pool) {
        return desktops.desktopsOfPool(pool.id()).stream().map(Desktop::name).toList();
    }
}
