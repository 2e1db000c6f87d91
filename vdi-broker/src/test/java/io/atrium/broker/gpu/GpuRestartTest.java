package io.atrium.broker.gpu;

import io.atrium.broker.BrokerTestApplication;
import io.atrium.broker.pool.Pool;
import io.atrium.broker.pool.PoolRepository;
import io.atrium.vmm.gpu.GpuMode;
import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuRestoreException;
import io.atrium.vmm.gpu.GpuSlice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.atrium.broker.gpu.GpuTestSupport.asAdmin;
import static io.atrium.broker.gpu.GpuTestSupport.newPool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Allocations and GPU modes persist: a second application on the same H2 file database restores them. */
class GpuRestartTest {

    @TempDir
    Path dir;

    private ConfigurableApplicationContext start() {
        // command-line arguments, so that they win over the test application.properties (in-memory H2)
        return new SpringApplicationBuilder(BrokerTestApplication.class, GpuTestSupport.Edges.class)
                .run("--spring.datasource.url=jdbc:h2:file:" + dir.resolve("broker") + ";DB_CLOSE_ON_EXIT=FALSE",
                        "--atrium.broker.demo.enabled=false", "--atrium.vmm.gpu.inventory=2 x h100-80gb-hbm3",
                        "--spring.main.banner-mode=off",
                        // on PostgreSQL (-Datrium.test.db=postgres) both contexts share one schema
                        "--atrium.test.schema=gpu_" + Integer.toHexString(dir.toString().hashCode()));
    }

    @Test
    void slicesAndModesSurviveARestartAndRestoreRejectsConflicts() {
        Set<GpuSlice> before;
        String poolId;
        try (ConfigurableApplicationContext first = start()) {
            Pool pool = newPool(first.getBean(PoolRepository.class), "cad", 5);
            poolId = pool.id();
            GpuService service = first.getBean(GpuService.class);
            asAdmin(() -> service.setPoolProfile(pool.id(), "3g.40gb"));
            before = new HashSet<>(first.getBean(GpuPool.class).slices());
            assertThat(before).hasSize(4);
        }

        try (ConfigurableApplicationContext second = start()) {
            GpuPool gpus = second.getBean(GpuPool.class);
            GpuService service = second.getBean(GpuService.class);
            // the same slices, same ids, GPUs and memory slices, same owners; the provisioner's start-up
            // reconcile did not place a fifth desktop or give anything twice
            assertThat(new HashSet<>(gpus.slices())).isEqualTo(before);
            PoolGpuPlan plan = asAdmin(() -> service.poolGpu(poolId));
            assertThat(plan.placed()).isEqualTo(4);
            assertThat(plan.reason()).startsWith("cannot allocate 3g.40gb");
            assertThat(second.getBean(JdbcClient.class).sql("select count(*) from desktop").query(Integer.class)
                    .single()).isEqualTo(4);

            // restore is all or nothing: a slice overlapping a restored one is rejected and nothing changes
            GpuSlice held = before.stream().filter(s -> s.gpuIndex() == 0).findFirst().orElseThrow();
            GpuSlice intruder = new GpuSlice("intruder", 0, held.gpuUuid(), GpuMode.MIG, "1g.10gb", held.start() + 1,
                    1, "someone", true);
            List<GpuSlice> conflicting = new ArrayList<>(before);
            conflicting.add(intruder);
            assertThatThrownBy(() -> gpus.restore(conflicting))
                    .isInstanceOfSatisfying(GpuRestoreException.class,
                            e -> assertThat(e.rejected()).containsOnlyKeys("intruder"));
            assertThat(new HashSet<>(gpus.slices())).isEqualTo(before);

            // a conflicting row in the database (as if edited by hand) is there at the next start
            JdbcClient jdbc = second.getBean(JdbcClient.class);
            Timestamp now = Timestamp.from(Instant.now());
            String desktop = UUID.randomUUID().toString();
            jdbc.sql("""
                    insert into desktop (id, pool_id, name, state, mac, version, created_at, updated_at)
                    values (?, ?, 'cad-99', 'READY', '52:54:00:aa:bb:cc', 0, ?, ?)""")
                    .params(desktop, poolId, now, now).update();
            jdbc.sql("""
                    insert into gpu_slice (id, desktop_id, gpu_index, gpu_uuid, mode, profile, start_slice,
                                           size_slices, simulated, created_at)
                    values ('intruder', ?, 0, ?, 'MIG', '1g.10gb', ?, 1, true, ?)""")
                    .params(desktop, held.gpuUuid(), held.start() + 1, now).update();
        }

        try (ConfigurableApplicationContext third = start()) {
            GpuPool gpus = third.getBean(GpuPool.class);
            GpuOverview overview = asAdmin(() -> third.getBean(GpuService.class).overview());
            // the consistent slices are back, the conflicting one is reported and not in the accounting
            assertThat(new HashSet<>(gpus.slices())).isEqualTo(before);
            assertThat(overview.unrestored()).singleElement().satisfies(u -> {
                assertThat(u.sliceId()).isEqualTo("intruder");
                assertThat(u.reason()).contains("overlap");
            });
        }
    }

    @Test
    void aChosenModePersists() {
        try (ConfigurableApplicationContext first = start()) {
            asAdmin(() -> first.getBean(GpuService.class).switchMode(1, GpuMode.TIME_SLICED));
        }
        try (ConfigurableApplicationContext second = start()) {
            assertThat(second.getBean(GpuPool.class).mode(1)).isEqualTo(GpuMode.TIME_SLICED);
            assertThat(second.getBean(GpuPool.class).mode(0)).isEqualTo(GpuMode.MIG);
        }
    }
}
