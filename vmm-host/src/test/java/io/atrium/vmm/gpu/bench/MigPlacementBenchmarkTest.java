package io.atrium.vmm.gpu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.gpu.BestFitMigPolicy;
import io.atrium.vmm.gpu.FirstFitMigPolicy;
import io.atrium.vmm.gpu.GpuDevice;
import io.atrium.vmm.gpu.GpuPool;
import io.atrium.vmm.gpu.GpuSlice;
import io.atrium.vmm.gpu.MigProfile;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Correctness properties of the placement policies on a fixed trace (no timing). */
class MigPlacementBenchmarkTest {

    private final List<GpuDevice> gpus = MigPlacementBenchmark.h100s(MigPlacementBenchmark.DEFAULT_GPUS);
    private final MigTrace trace = MigTrace.generate(MigPlacementBenchmark.DEFAULT_SEED, 10_000,
            MigPlacementBenchmark.DEFAULT_TARGET, MigTrace.DEFAULT_MIX);

    @Test
    void traceIsDeterministic() {
        assertThat(MigTrace.generate(MigPlacementBenchmark.DEFAULT_SEED, 10_000, MigPlacementBenchmark.DEFAULT_TARGET,
                MigTrace.DEFAULT_MIX)).isEqualTo(trace);
        assertThat(trace.steps()).hasSize(10_000);
    }

    @Test
    void bestFitNeverDoubleAllocatesAndAcceptsAtLeastAsMuchAsFirstFit() {
        MigReplay.Result best = MigReplay.replay(trace, gpus, new BestFitMigPolicy(),
                MigPlacementBenchmarkTest::assertNoOverlap);
        MigReplay.Result first = MigReplay.replay(trace, gpus, new FirstFitMigPolicy(),
                MigPlacementBenchmarkTest::assertNoOverlap);
        assertThat(best.requests()).isEqualTo(first.requests());
        assertThat(best.accepted()).isGreaterThanOrEqualTo(first.accepted());
        assertThat(best.accepted()).isLessThan(best.requests()); // the trace does overload the GPUs
        // best-fit keeps the large blocks: more whole GPUs and more 4g.40gb slots free, no more stranded memory
        assertThat(best.meanEmptyGpus()).isGreaterThan(first.meanEmptyGpus());
        assertThat(best.mean4gSlots()).isGreaterThan(first.mean4gSlots());
        assertThat(best.meanStrandedShare()).isLessThanOrEqualTo(first.meanStrandedShare() * 1.01);
        assertThat(best.refusedWithRoom()).isLessThan(first.refusedWithRoom());
    }

    @Test
    void sectionIsReplacedInPlace() {
        String doc = "# Benchmarks\n\n## Boot time\n\nx\n\n## GPU slice placement\n\nold\n```\n## not a heading\n```\n"
                + "\n## Later\n\ny\n";
        String replaced = MigPlacementBenchmark.replaceSection(doc, "## GPU slice placement\n\nnew\n");
        assertThat(replaced).isEqualTo(
                "# Benchmarks\n\n## Boot time\n\nx\n\n## GPU slice placement\n\nnew\n\n## Later\n\ny\n");
        assertThat(MigPlacementBenchmark.replaceSection("# Benchmarks\n", "## GPU slice placement\n\nnew\n"))
                .isEqualTo("# Benchmarks\n\n## GPU slice placement\n\nnew\n");
    }

    static void assertNoOverlap(GpuPool pool) {
        Map<Integer, List<GpuSlice>> byGpu = pool.slices().stream()
                .collect(Collectors.groupingBy(GpuSlice::gpuIndex));
        byGpu.forEach((index, slices) -> {
            GpuDevice gpu = pool.gpus().get(index);
            boolean[] used = new boolean[gpu.migMemorySlices()];
            int compute = 0;
            for (GpuSlice s : slices) {
                MigProfile p = gpu.migProfiles().stream().filter(m -> m.name().equals(s.profile())).findFirst()
                        .orElseThrow();
                assertThat(p.placement().starts()).contains(s.start());
                assertThat(s.size()).isEqualTo(p.memorySlices());
                for (int i = s.start(); i < s.start() + s.size(); i++) {
                    if (used[i]) {
                        throw new AssertionError("memory slice " + i + " of GPU " + index + " allocated twice");
                    }
                    used[i] = true;
                }
                compute += p.computeSlices();
            }
            assertThat(compute).isLessThanOrEqualTo(gpu.migComputeSlices());
        });
    }
}
