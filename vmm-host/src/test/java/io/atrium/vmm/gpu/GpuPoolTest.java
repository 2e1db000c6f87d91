package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GpuPoolTest {

    private final List<GpuDevice> sim = SimulatedInventory.fromSpec("2 x h100-80gb-hbm3, 1 x h200-141gb").discover();

    private static GpuPool pool(List<GpuDevice> gpus) {
        AtomicInteger n = new AtomicInteger();
        return new GpuPool(gpus, new BestFitMigPolicy(),
                () -> String.format("00000000-0000-4000-8000-%012d", n.incrementAndGet()));
    }

    @Test
    void allocateAndReleaseMig() {
        GpuPool pool = pool(sim);
        GpuSlice s = pool.allocate("3g.40gb", "desk-1");
        assertThat(s).isEqualTo(new GpuSlice("00000000-0000-4000-8000-000000000001", 0, sim.getFirst().uuid(),
                GpuMode.MIG, "3g.40gb", 4, 4, "desk-1", true));
        assertThat(pool.slice(s.id())).contains(s);
        assertThat(pool.whatFits().get(0)).containsOnlyKeys("4g.40gb", "3g.40gb", "2g.20gb", "1g.20gb",
                "1g.10gb", "1g.10gb+me");
        assertThat(pool.release(s.id())).isTrue();
        assertThat(pool.release(s.id())).isFalse();
        assertThat(pool.slices()).isEmpty();
        assertThat(pool.whatFits().get(0)).containsEntry("7g.80gb", 1);
    }

    @Test
    void refusalExplainsEveryGpu() {
        GpuPool pool = pool(sim);
        pool.allocate("7g.80gb", "a");
        pool.allocate("7g.80gb", "b");
        assertThatThrownBy(() -> pool.allocate("7g.80gb", "c"))
                .isInstanceOf(GpuRefusedException.class)
                .hasMessage("cannot allocate 7g.80gb: all 1 7g.80gb instance(s) GPU 0 allows are in use; "
                        + "all 1 7g.80gb instance(s) GPU 1 allows are in use; "
                        + "GPU 2 (NVIDIA H200) has no MIG profile 7g.80gb");
        assertThatThrownBy(() -> pool.allocate("9g.1tb", "c")).hasMessageStartingWith("unknown GPU profile '9g.1tb'");
        assertThatThrownBy(() -> pool.allocate("ts-10gb", "c")).hasMessage(
                "cannot allocate ts-10gb: GPU 0 is in MIG mode; GPU 1 is in MIG mode; GPU 2 is in MIG mode");
    }

    @Test
    void switchModeOnlyWhenEmpty() {
        GpuPool pool = pool(sim);
        pool.allocateOn(0, "1g.10gb", "desk-a");
        pool.allocateOn(0, "1g.10gb", "desk-b");
        pool.allocateOn(0, "2g.20gb", "desk-c");
        assertThatThrownBy(() -> pool.switchMode(0, GpuMode.TIME_SLICED))
                .isInstanceOf(GpuRefusedException.class)
                .hasMessage("GPU 0 has 3 slice(s) in use by desktops desk-a, desk-b, desk-c; release them before "
                        + "switching from MIG to TIME_SLICED");
        assertThat(pool.mode(0)).isEqualTo(GpuMode.MIG);

        pool.switchMode(1, GpuMode.TIME_SLICED);
        assertThat(pool.whatFits().get(1)).containsEntry("ts-10gb", 8);
        GpuSlice t = pool.allocate("ts-10gb", "desk-d");
        assertThat(t.gpuIndex()).isEqualTo(1);
        assertThat(t.mode()).isEqualTo(GpuMode.TIME_SLICED);
        assertThatThrownBy(() -> pool.allocate("ts-20gb", "desk-e")).hasMessageContaining(
                "GPU 1 holds ts-10gb slices; time-sliced vGPU allows one profile size per GPU at a time");

        pool.switchMode(2, GpuMode.NONE);
        GpuSlice whole = pool.allocate(GpuPool.FULL_PROFILE, "desk-f");
        assertThat(whole.gpuIndex()).isEqualTo(2);
        assertThatThrownBy(() -> pool.allocate(GpuPool.FULL_PROFILE, "desk-g")).hasMessage(
                "cannot allocate full: GPU 0 is shared in MIG mode; GPU 1 is shared in TIME_SLICED mode; "
                        + "GPU 2 is already given whole to desk-f");
        assertThat(pool.whatFits().get(2)).isEmpty();
        pool.switchMode(2, GpuMode.NONE); // no-op, even when in use
    }

    @Test
    void timeSlicedFillsTheGpuAlreadyHoldingTheSize() {
        GpuPool pool = pool(SimulatedInventory.fromSpec("3 x h100-80gb-hbm3").discover());
        for (int i = 0; i < 3; i++) {
            pool.switchMode(i, GpuMode.TIME_SLICED);
        }
        pool.allocateOn(2, "ts-40gb", "x");
        assertThat(pool.allocate("ts-40gb", "y").gpuIndex()).isEqualTo(2);
        assertThat(pool.allocate("ts-40gb", "z").gpuIndex()).isZero();
        assertThat(pool.allocate("ts-20gb", "w").gpuIndex()).isEqualTo(1);
        assertThatThrownBy(() -> pool.allocate("ts-3gb", "v")).hasMessageStartingWith("unknown GPU profile");
    }

    @Test
    void realGpuModesFollowTheHardware() {
        GpuDevice real = Fixtures.real(H100); // MIG disabled on the hardware
        GpuPool pool = pool(List.of(real));
        assertThat(pool.mode(0)).isEqualTo(GpuMode.NONE);
        assertThatThrownBy(() -> pool.switchMode(0, GpuMode.MIG)).hasMessage(
                "GPU 0 (NVIDIA H100 80GB HBM3) has MIG mode DISABLED on the hardware; an administrator must run "
                        + "'nvidia-smi -i 0 -mig 1' (and reset the GPU) before Atrium can place MIG slices on it");
        pool.switchMode(0, GpuMode.TIME_SLICED);
        assertThat(pool.allocate("ts-80gb", "a").simulated()).isFalse();

        GpuPool migPool = pool(List.of(Fixtures.realMigEnabled(H100)));
        assertThat(migPool.mode(0)).isEqualTo(GpuMode.MIG);
        assertThatThrownBy(() -> migPool.switchMode(0, GpuMode.TIME_SLICED))
                .hasMessageContaining("'nvidia-smi -i 0 -mig 0'");
    }

    @Test
    void snapshotForTheUi() {
        GpuPool pool = pool(sim);
        pool.allocateOn(0, "4g.40gb", "desk-1");
        pool.allocateOn(0, "1g.10gb", "desk-2");
        pool.switchMode(1, GpuMode.TIME_SLICED);
        pool.allocateOn(1, "ts-20gb", "desk-3");
        GpuPoolSnapshot snap = pool.snapshot();
        assertThat(snap.migPolicy()).isEqualTo("best-fit");
        GpuSnapshot g0 = snap.gpus().get(0);
        assertThat(g0.simulated()).isTrue();
        assertThat(g0.mode()).isEqualTo(GpuMode.MIG);
        assertThat(g0.slices()).extracting(GpuSlice::owner).containsExactly("desk-1", "desk-2");
        assertThat(g0.usedComputeSlices()).isEqualTo(5);
        assertThat(g0.totalComputeSlices()).isEqualTo(7);
        assertThat(g0.usedMemorySlices()).isEqualTo(5);
        assertThat(g0.totalMemorySlices()).isEqualTo(8);
        assertThat(g0.usedMemoryMiB()).isEqualTo(40448 + 9984);
        assertThat(g0.fits()).containsExactly(Map.entry("2g.20gb", 1), Map.entry("1g.20gb", 1),
                Map.entry("1g.10gb", 2), Map.entry("1g.10gb+me", 1));
        GpuSnapshot g1 = snap.gpus().get(1);
        assertThat(g1.timeSlicedProfile()).isEqualTo("ts-20gb");
        assertThat(g1.usedMemoryMiB()).isEqualTo(81559 / 4);
        assertThat(g1.fits()).containsExactly(Map.entry("ts-20gb", 3));
        GpuSnapshot g2 = snap.gpus().get(2);
        assertThat(g2.name()).isEqualTo("NVIDIA H200");
        assertThat(g2.fits()).containsEntry("7g.141gb", 1);
    }

    @Test
    void restoreRoundTrip() {
        GpuPool pool = pool(sim);
        pool.allocate("3g.40gb", "a");
        pool.allocate("1g.10gb", "b");
        pool.switchMode(2, GpuMode.TIME_SLICED);
        pool.allocate("ts-35gb", "c");
        List<GpuSlice> persisted = pool.slices();

        GpuPool restarted = new GpuPool(sim, new BestFitMigPolicy());
        restarted.restore(persisted);
        assertThat(restarted.slices()).isEqualTo(persisted);
        assertThat(restarted.mode(2)).isEqualTo(GpuMode.TIME_SLICED);
        assertThat(restarted.snapshot().gpus()).isEqualTo(pool.snapshot().gpus());
        // the restored slots are really taken
        assertThat(restarted.allocate("1g.10gb", "d").start()).isNotEqualTo(persisted.get(1).start());
    }

    @Test
    void restoreRejectsConflictsAndChangesNothing() {
        GpuPool pool = pool(sim);
        GpuSlice keep = pool.allocate("2g.20gb", "keep");
        String u0 = sim.get(0).uuid();
        String u1 = sim.get(1).uuid();
        List<GpuSlice> bad = List.of(
                new GpuSlice("s1", 0, u0, GpuMode.MIG, "4g.40gb", 0, 4, "a", true),
                new GpuSlice("s2", 0, u0, GpuMode.MIG, "3g.40gb", 0, 4, "b", true),      // overlaps s1
                new GpuSlice("s1", 0, u0, GpuMode.MIG, "1g.10gb", 6, 1, "c", true),      // duplicate id
                new GpuSlice("s3", 0, u1, GpuMode.MIG, "1g.10gb", 5, 1, "d", true),      // wrong GPU uuid
                new GpuSlice("s4", 1, u1, GpuMode.MIG, "3g.40gb", 2, 4, "e", true),      // not a placement
                new GpuSlice("ok", 1, u1, GpuMode.MIG, "1g.10gb", 6, 1, "ok", true),
                new GpuSlice("s5", 1, u1, GpuMode.TIME_SLICED, "ts-10gb", 0, 1, "f", true), // mixed modes
                new GpuSlice("s6", 7, u1, GpuMode.MIG, "1g.10gb", 0, 1, "g", true),      // no such GPU
                new GpuSlice("s7", 1, u1, GpuMode.MIG, "1g.10gb", 4, 1, "h", false),     // real vs simulated
                new GpuSlice("s8", 1, u1, GpuMode.MIG, "1g.20gb", 0, 1, "i", true));     // wrong size
        assertThatThrownBy(() -> pool.restore(bad))
                .isInstanceOfSatisfying(GpuRestoreException.class, e -> {
                    assertThat(e.rejected()).containsOnlyKeys("s2", "s1", "s3", "s4", "s5", "s6", "s7", "s8");
                    assertThat(e.rejected().get("s2")).isEqualTo("memory slices 0-3 of GPU 0 overlap 4g.40gb at 0-3");
                    assertThat(e.rejected().get("s1")).isEqualTo("duplicate slice id");
                    assertThat(e.rejected().get("s3")).contains("GPU 0 is now " + u0);
                    assertThat(e.rejected().get("s4")).contains("cannot start at memory slice 2");
                    assertThat(e.rejected().get("s5")).isEqualTo(
                            "GPU 1 already holds MIG slices, this one is TIME_SLICED");
                    assertThat(e.rejected().get("s6")).isEqualTo("no GPU 7 on this host");
                    assertThat(e.rejected().get("s7")).isEqualTo("slice is real but GPU 1 is simulated");
                    assertThat(e.rejected().get("s8")).isEqualTo("1g.20gb occupies 2 memory slices, not 1");
                });
        assertThat(pool.slices()).containsExactly(keep);
    }

    @Test
    void restoreMixedTimeSlicedSizesIsRejected() {
        GpuPool pool = pool(sim);
        String u2 = sim.get(2).uuid();
        assertThatThrownBy(() -> pool.restore(List.of(
                new GpuSlice("t1", 2, u2, GpuMode.TIME_SLICED, "ts-70gb", 0, 1, "a", true),
                new GpuSlice("t2", 2, u2, GpuMode.TIME_SLICED, "ts-35gb", 1, 1, "b", true))))
                .isInstanceOfSatisfying(GpuRestoreException.class, e -> assertThat(e.rejected())
                        .containsOnlyKeys("t2"));
        assertThat(pool.mode(2)).isEqualTo(GpuMode.MIG);
    }

    @Test
    void restoreOfARealMigSliceNeedsMigOnTheHardware() {
        GpuDevice real = Fixtures.real(H100);
        GpuPool pool = pool(List.of(real));
        assertThatThrownBy(() -> pool.restore(List.of(
                new GpuSlice("m", 0, real.uuid(), GpuMode.MIG, "1g.10gb", 0, 1, "a", false))))
                .hasMessageContaining("has MIG mode DISABLED on the hardware");
    }

    @Test
    void concurrentUseNeverDoubleAllocates() throws Exception {
        GpuPool pool = new GpuPool(SimulatedInventory.fromSpec("4 x h100-80gb-hbm3").discover(),
                new BestFitMigPolicy());
        List<String> profiles = List.of("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb");
        ExecutorService executor = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            executor.execute(() -> {
                try {
                    start.await();
                    java.util.Random random = new java.util.Random(thread);
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 2_000; i++) {
                        if (!mine.isEmpty() && random.nextBoolean()) {
                            if (!pool.release(mine.remove(random.nextInt(mine.size())))) {
                                throw new AssertionError("lost a slice");
                            }
                        } else {
                            try {
                                mine.add(pool.allocate(profiles.get(random.nextInt(profiles.size())), "t" + thread)
                                        .id());
                            } catch (GpuRefusedException full) {
                                // expected under contention
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
        }
        start.countDown();
        executor.shutdown();
        assertThat(executor.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).isEmpty();
        // the remaining slices are consistent: restoring them into a fresh pool must succeed
        GpuPool copy = new GpuPool(pool.gpus(), new BestFitMigPolicy());
        copy.restore(pool.slices());
        assertThat(copy.snapshot().gpus()).isEqualTo(pool.snapshot().gpus());
    }
}
