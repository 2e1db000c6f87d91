package io.atrium.broker.gpu;

import io.atrium.broker.BrokerException;
import io.atrium.broker.BrokerStatus;
import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.gpu.GpuDevice;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuSlice;
import io.atrium.vmm.gpu.MigProfile;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static io.atrium.broker.TestUsers.as;
import static io.atrium.broker.gpu.GpuTestSupport.asAdmin;
import static io.atrium.broker.gpu.GpuTestSupport.newPool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GPU scheduling with desktops on two simulated H100s, against a real (H2) database. */
@SpringBootTest(classes = {BrokerTestApplication.class, GpuTestSupport.Edges.class}, properties = {
        "atrium.broker.demo.enabled=false", "atrium.vmm.gpu.inventory=2 x h100-80gb-hbm3"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.BEFORE_EACH_TEST_METHOD)
class GpuSchedulingTest {

    @Autowired GpuService gpuService;
    @Autowired GpuPool gpuPool;
    @Autowired PoolRepository pools;
    @Autowired JdbcClient jdbc;
    @Autowired PlatformTransactionManager transactions;
    @Autowired ApplicationEventPublisher events;

    @Test
    void aPoolOf3g40gbOnTwoH100sPlacesFourDesktopsTwoPerGpuAndSaysWhyNotTheFifth() {
        Pool pool = newPool(pools, "cad", 5);

        PoolGpuPlan plan = asAdmin(() -> gpuService.setPoolProfile(pool.id(), "3g.40gb"));

        assertThat(desktopsOf(pool)).hasSize(4);
        assertThat(plan.placed()).isEqualTo(4);
        assertThat(plan.wanted()).isEqualTo(5);
        assertThat(plan.simulated()).isTrue();
        assertThat(plan.reason()).startsWith("cannot allocate 3g.40gb: ")
                .contains("all 2 3g.40gb instance(s) GPU 0 allows are in use")
                .contains("all 2 3g.40gb instance(s) GPU 1 allows are in use");
        assertThat(plan.summary()).startsWith("placed 4 of 5 desktops: cannot allocate 3g.40gb");
        List<GpuSlice> slices = gpuPool.slices();
        assertThat(slices).hasSize(4).allMatch(GpuSlice::simulated).allMatch(s -> s.profile().equals("3g.40gb"));
        assertThat(slices.stream().collect(Collectors.groupingBy(GpuSlice::gpuIndex, Collectors.counting())))
                .isEqualTo(Map.of(0, 2L, 1, 2L));
        assertThat(slices.stream().map(GpuSlice::owner).collect(Collectors.toSet()))
                .isEqualTo(new HashSet<>(desktopsOf(pool)));
        assertDatabaseMatchesAccounting();
        // simulated: accounting only, no device for QEMU
        assertThat(gpuService.qemuArgsFor(slices.getFirst().owner())).isEmpty();

        GpuOverview overview = asAdmin(() -> gpuService.overview());
        assertThat(overview.gpus()).hasSize(2).allMatch(g -> g.simulated() && g.slices().size() == 2);
        assertThat(overview.holders()).hasSize(4).allSatisfy((id, h) -> assertThat(h.poolName()).isEqualTo("cad"));
        assertThat(overview.pools()).singleElement().isEqualTo(plan);
        assertThat(overview.gpus().getFirst().fits()).doesNotContainKey("3g.40gb");
    }

    @Test
    void aFailureAfterReservingLeavesNeitherTheDesktopNorTheSlice() {
        Pool pool = newPool(pools, "empty", 0);
        asAdmin(() -> gpuService.setPoolProfile(pool.id(), "1g.10gb"));
        String desktopId = UUID.randomUUID().toString();
        TransactionTemplate tx = new TransactionTemplate(transactions);

        assertThatThrownBy(() -> tx.executeWithoutResult(status -> {
            insertDesktop(desktopId, pool.id(), "empty-1");
            assertThat(gpuService.reserveFor(desktopId, pool.id())).isPresent();
            assertThat(gpuPool.slicesOf(desktopId)).hasSize(1);
            throw new IllegalStateException("boom after reserving");
        })).hasMessage("boom after reserving");

        assertThat(count("select count(*) from desktop where id = ?", desktopId)).isZero();
        assertThat(count("select count(*) from gpu_slice where desktop_id = ?", desktopId)).isZero();
        assertThat(gpuPool.slices()).isEmpty();
        // and a reservation outside a transaction is refused outright
        assertThatThrownBy(() -> gpuService.reserveFor(desktopId, pool.id())).isInstanceOf(IllegalStateException.class);
        assertThat(gpuPool.slices()).isEmpty();
    }

    @Test
    void whenTheSliceRowCannotBeWrittenTheProvisionerCreatesNoDesktopAndKeepsNoSlice() {
        // rows that the accounting does not know about occupy every 3g.40gb start in the database
        Pool other = newPool(pools, "other", 0);
        int n = 0;
        for (GpuDevice gpu : gpuPool.gpus()) {
            for (int start : List.of(0, 4)) {
                String d = UUID.randomUUID().toString();
                insertDesktop(d, other.id(), "ghost-" + (++n));
                jdbc.sql("""
                        insert into gpu_slice (id, desktop_id, gpu_index, gpu_uuid, mode, profile, start_slice,
                                               size_slices, simulated, created_at)
                        values (?, ?, ?, ?, 'MIG', '3g.40gb', ?, 4, true, ?)""")
                        .params(UUID.randomUUID().toString(), d, gpu.index(), gpu.uuid(), start,
                                Timestamp.from(Instant.now())).update();
            }
        }
        Pool pool = newPool(pools, "cad", 2);

        PoolGpuPlan plan = asAdmin(() -> gpuService.setPoolProfile(pool.id(), "3g.40gb"));

        assertThat(desktopsOf(pool)).isEmpty();
        assertThat(gpuPool.slices()).isEmpty();
        assertThat(count("select count(*) from gpu_slice")).isEqualTo(4);
        assertThat(plan.placed()).isZero();
        assertThat(plan.reason()).contains("already recorded for another desktop");
    }

    @Test
    void concurrentReconcilesNeverGiveASliceTwice() throws Exception {
        Map<String, String> profiles = Map.of("small", "1g.10gb", "medium", "2g.20gb", "large", "3g.40gb",
                "tall", "1g.20gb");
        List<Pool> created = new ArrayList<>();
        for (var e : profiles.entrySet()) {
            Pool p = newPool(pools, e.getKey(), 6);
            created.add(p);
            // set the profile directly so that no reconcile has run yet
            jdbc.sql("insert into pool_gpu (pool_id, profile, updated_at) values (?, ?, ?)")
                    .params(p.id(), e.getValue(), Timestamp.from(Instant.now())).update();
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        // 4 threads: PoolRepository.findAll holds two connections at once (entitlements are read inside the
        // row mapper), so more concurrent callers than half the connection pool (10) can starve it
        try (ExecutorService threads = Executors.newFixedThreadPool(4)) {
            for (int round = 0; round < 3; round++) {
                for (Pool p : created) {
                    futures.add(threads.submit(() -> {
                        go.await();
                        events.publishEvent(new GpuCapacityChanged(p.id()));
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
        }

        List<GpuSlice> slices = gpuPool.slices();
        assertThat(slices).isNotEmpty();
        assertNoOverlap(slices);
        assertDatabaseMatchesAccounting();
        // every desktop holds exactly one slice, and no pool grew past its size
        int desktops = 0;
        for (Pool p : created) {
            List<String> ids = desktopsOf(p);
            assertThat(ids).hasSizeLessThanOrEqualTo(6);
            desktops += ids.size();
        }
        assertThat(slices).hasSize(desktops);
        assertThat(slices.stream().map(GpuSlice::owner).distinct()).hasSize(desktops);
        List<PoolGpuPlan> plans = asAdmin(() -> gpuService.poolPlans());
        assertThat(plans.stream().mapToInt(PoolGpuPlan::placed).sum()).isEqualTo(desktops);
        // two H100s cannot hold 24 such desktops
        assertThat(desktops).isLessThan(24);
        assertThat(plans).anyMatch(p -> p.reason() != null && p.reason().startsWith("cannot allocate"));
    }

    @Test
    void switchingTheModeOfAGpuInUseIsRefusedWithTheReason() {
        Pool pool = newPool(pools, "one", 1);
        asAdmin(() -> gpuService.setPoolProfile(pool.id(), "1g.10gb"));
        GpuSlice slice = gpuPool.slices().getFirst();
        int used = slice.gpuIndex();
        int empty = 1 - used;

        assertThatThrownBy(() -> asAdmin(() -> gpuService.switchMode(used, GpuMode.TIME_SLICED)))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE);
                    assertThat(e.getMessage()).isEqualTo("GPU " + used + " has 1 slice(s) in use by desktops "
                            + slice.owner() + "; release them before switching from MIG to TIME_SLICED");
                });
        assertThat(gpuPool.mode(used)).isEqualTo(GpuMode.MIG);

        assertThat(asAdmin(() -> gpuService.switchMode(empty, GpuMode.TIME_SLICED))).isEqualTo(GpuMode.TIME_SLICED);
        assertThat(gpuPool.mode(empty)).isEqualTo(GpuMode.TIME_SLICED);
        assertThat(jdbc.sql("select mode from gpu_mode where gpu_uuid = ?").param(gpuPool.gpu(empty).orElseThrow().uuid())
                .query(String.class).single()).isEqualTo("TIME_SLICED");
        assertThatThrownBy(() -> asAdmin(() -> gpuService.switchMode(7, GpuMode.NONE)))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        // releasing the slice (desktop deleted) frees the GPU for a switch
        assertThat(gpuService.releaseFor(slice.owner())).isTrue();
        assertThat(count("select count(*) from gpu_slice")).isZero();
        assertThat(asAdmin(() -> gpuService.switchMode(used, GpuMode.NONE))).isEqualTo(GpuMode.NONE);
    }

    @Test
    void badProfilesAndPoolsAreRefused() {
        Pool pool = newPool(pools, "p", 1);
        assertThatThrownBy(() -> asAdmin(() -> gpuService.setPoolProfile(pool.id(), "9g.90gb")))
                .isInstanceOfSatisfying(BrokerException.class, e -> {
                    assertThat(e.status()).isEqualTo(BrokerStatus.INVALID_INPUT);
                    assertThat(e.getMessage()).contains("known profiles: 7g.80gb, 4g.40gb, 3g.40gb");
                });
        assertThatThrownBy(() -> asAdmin(() -> gpuService.poolGpu("nope")))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.status()).isEqualTo(BrokerStatus.NOT_FOUND));
        asAdmin(() -> gpuService.setPoolProfile(pool.id(), "1g.10gb"));
        assertThatThrownBy(() -> asAdmin(() -> gpuService.setPoolProfile(pool.id(), "2g.20gb")))
                .isInstanceOfSatisfying(BrokerException.class,
                        e -> assertThat(e.status()).isEqualTo(BrokerStatus.ILLEGAL_STATE));
        assertThat(asAdmin(() -> gpuService.poolGpu(pool.id())).summary()).isEqualTo("placed 1 of 1 desktop");
    }

    @Test
    void onlyAdministratorsMayUseTheGpuApi() {
        Pool pool = newPool(pools, "p", 1);
        List<Runnable> calls = List.of(
                () -> gpuService.overview(),
                () -> gpuService.snapshot(),
                () -> gpuService.switchMode(0, GpuMode.NONE),
                () -> gpuService.poolGpu(pool.id()),
                () -> gpuService.poolPlans(),
                () -> gpuService.setPoolProfile(pool.id(), "1g.10gb"));
        for (Runnable call : calls) {
            assertThatThrownBy(() -> as("alice", call)).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(call::run).isInstanceOf(AuthenticationCredentialsNotFoundException.class);
        }
        assertThat(jdbc.sql("select count(*) from pool_gpu").query(Integer.class).single()).isZero();
        assertThat(gpuPool.mode(0)).isEqualTo(GpuMode.MIG);
    }

    // ------------------------------------------------------------------ helpers

    private List<String> desktopsOf(Pool pool) {
        return jdbc.sql("select id from desktop where pool_id = ? and state <> 'DELETED'").param(pool.id())
                .query(String.class).list();
    }

    private int count(String sql, Object... params) {
        return jdbc.sql(sql).params(params).query(Integer.class).single();
    }

    private void insertDesktop(String id, String poolId, String name) {
        Timestamp now = Timestamp.from(Instant.now());
        jdbc.sql("""
                insert into desktop (id, pool_id, name, state, mac, version, created_at, updated_at)
                values (?, ?, ?, 'PROVISIONING', ?, 0, ?, ?)""")
                .params(id, poolId, name, "52:54:00:" + id.substring(0, 2) + ":" + id.substring(2, 4) + ":"
                        + id.substring(4, 6), now, now).update();
    }

    /** The gpu_slice rows are exactly the slices in the accounting, each owned by its row's desktop. */
    private void assertDatabaseMatchesAccounting() {
        Set<String> rows = new HashSet<>(jdbc.sql("select id || '@' || desktop_id || '@' || gpu_index || '@' || start_slice from gpu_slice")
                .query(String.class).list());
        Set<String> memory = gpuPool.slices().stream()
                .map(s -> s.id() + "@" + s.owner() + "@" + s.gpuIndex() + "@" + s.start()).collect(Collectors.toSet());
        assertThat(rows).isEqualTo(memory);
    }

    static void assertNoOverlap(List<GpuSlice> slices) {
        Map<Integer, boolean[]> used = new HashMap<>();
        Map<Integer, Integer> compute = new HashMap<>();
        for (GpuSlice s : slices) {
            boolean[] u = used.computeIfAbsent(s.gpuIndex(), i -> new boolean[8]);
            for (int i = s.start(); i < s.start() + s.size(); i++) {
                if (u[i]) {
                    throw new AssertionError("memory slice " + i + " of GPU " + s.gpuIndex() + " given twice");
                }
                u[i] = true;
            }
            compute.merge(s.gpuIndex(), MigProfile.computeSlicesOf(s.profile()), Integer::sum);
        }
        assertThat(compute.values()).allMatch(c -> c <= 7);
    }
}
