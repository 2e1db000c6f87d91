package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {

    private static List<GpuDevice> h100s(int n) {
        return SimulatedInventory.fromSpec(n + " x " + H100).discover();
    }

    @Test
    void bestFitKeepsTheLargeBlocksOfAnEmptyGpu() {
        GpuPool pool = new GpuPool(h100s(1), new BestFitMigPolicy());
        assertThat(pool.allocate("1g.10gb", "d1").start()).isEqualTo(6);
        assertThat(pool.allocate("1g.10gb", "d2").start()).isEqualTo(4);
        assertThat(pool.allocate("1g.10gb", "d3").start()).isEqualTo(5);
        // 4g.40gb at 0 is still possible after three small instances
        assertThat(pool.allocate("4g.40gb", "d4").start()).isZero();
    }

    @Test
    void firstFitTakesTheLowestSlot() {
        GpuPool pool = new GpuPool(h100s(1), new FirstFitMigPolicy());
        assertThat(pool.allocate("1g.10gb", "d1").start()).isZero();
        assertThat(pool.whatFits().get(0)).doesNotContainKey("4g.40gb");
    }

    @Test
    void bestFitAcceptsWhatFirstFitRefuses() {
        for (MigPlacementPolicy policy : List.of(new BestFitMigPolicy(), new FirstFitMigPolicy())) {
            GpuPool pool = new GpuPool(h100s(1), policy);
            pool.allocate("1g.20gb", "a");
            pool.allocate("2g.20gb", "b");
            boolean accepted;
            try {
                pool.allocate("3g.40gb", "c");
                accepted = true;
            } catch (GpuRefusedException e) {
                accepted = false;
                assertThat(e.reason()).startsWith("cannot allocate 3g.40gb: no 3g.40gb placement free on GPU 0");
            }
            // best-fit: 1g.20gb at 6, 2g.20gb at 4, so 3g.40gb at 0; first-fit: 0 and 2, so 3g.40gb at 4
            assertThat(accepted).isTrue();
            GpuSlice big = pool.slices().getLast();
            assertThat(big.start()).isEqualTo(policy instanceof BestFitMigPolicy ? 0 : 4);
        }
        GpuPool first = new GpuPool(h100s(1), new FirstFitMigPolicy());
        GpuPool best = new GpuPool(h100s(1), new BestFitMigPolicy());
        for (GpuPool pool : List.of(first, best)) {
            pool.allocate("1g.10gb", "a");
        }
        assertThat(best.allocate("4g.40gb", "b").start()).isZero();
        assertThat(first.whatFits().get(0)).doesNotContainKey("4g.40gb");
    }

    @Test
    void bestFitPacksOntoTheUsedGpuAndKeepsTheEmptyOneWhole() {
        GpuPool pool = new GpuPool(h100s(2), new BestFitMigPolicy());
        GpuSlice a = pool.allocate("1g.10gb", "a");
        GpuSlice b = pool.allocate("2g.20gb", "b");
        assertThat(a.gpuIndex()).isZero();
        assertThat(b.gpuIndex()).isZero();
        assertThat(pool.allocate("7g.80gb", "c").gpuIndex()).isEqualTo(1);
    }

    @Test
    void policiesSkipGpusWithoutTheProfile() {
        List<GpuDevice> mixed = SimulatedInventory.fromSpec("1 x h100-80gb-hbm3, 1 x h200-141gb").discover();
        for (MigPlacementPolicy policy : List.of(new BestFitMigPolicy(), new FirstFitMigPolicy())) {
            GpuPool pool = new GpuPool(mixed, policy);
            assertThat(pool.allocate("1g.18gb", "a").gpuIndex()).isEqualTo(1);
            assertThat(pool.allocate("1g.10gb", "b").gpuIndex()).isZero();
        }
    }
}
