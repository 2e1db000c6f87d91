package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static io.atrium.vmm.gpu.Fixtures.H200;
import static io.atrium.vmm.gpu.Fixtures.profile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MigAllocatorTest {

    private final GpuDevice h100 = Fixtures.real(H100);
    private final MigAllocator gpu = new MigAllocator(h100);

    private MigProfile p(String name) {
        return profile(h100, name);
    }

    @Test
    void emptyH100() {
        assertThat(gpu.memorySlices()).isEqualTo(8);
        assertThat(gpu.computeSlices()).isEqualTo(7);
        assertThat(gpu.whatFits()).containsExactly(
                Map.entry("7g.80gb", 1), Map.entry("4g.40gb", 1), Map.entry("3g.40gb", 2),
                Map.entry("2g.20gb", 3), Map.entry("1g.20gb", 4), Map.entry("1g.10gb", 7),
                Map.entry("1g.10gb+me", 1));
        assertThat(gpu.largestPlaceableMemorySlices()).isEqualTo(8);
    }

    @Test
    void after4gAt0The3gFitsOnlyAt4() {
        gpu.place("a", p("4g.40gb"), 0);
        assertThat(gpu.freeStarts(p("3g.40gb"))).containsExactly(4);
        assertThat(gpu.fits(p("3g.40gb"))).isEqualTo(1);
        assertThat(gpu.freeStarts(p("7g.80gb"))).isEmpty();
        gpu.place("b", p("3g.40gb"), 4);
        assertThat(gpu.usedComputeSlices()).isEqualTo(7);
        assertThat(gpu.usedMemorySlices()).isEqualTo(8);
        assertThat(gpu.whatFits()).isEmpty();
        assertThat(gpu.refusalReason(p("1g.10gb"))).contains("no 1g.10gb placement free on GPU 0: memory slices "
                + "0 (used), 1 (used), 2 (used), 3 (used), 4 (used), 5 (used), 6 (used); "
                + "1g.10gb needs 1 compute slice(s), GPU 0 has 0 of 7 free");
    }

    @Test
    void seven1gFillIt() {
        for (int s = 0; s <= 6; s++) {
            gpu.place("s" + s, p("1g.10gb"), s);
        }
        assertThat(gpu.usedComputeSlices()).isEqualTo(7);
        assertThat(gpu.usedMemorySlices()).isEqualTo(7);
        assertThat(gpu.isUsed(7)).isFalse(); // slice 7 only ever belongs to 7g.80gb
        assertThat(gpu.whatFits()).isEmpty();
        assertThat(gpu.fits(p("1g.10gb"))).isZero();
        assertThat(gpu.refusalReason(p("1g.10gb"))).contains("all 7 1g.10gb instance(s) GPU 0 allows are in use");
    }

    @Test
    void oneG20gbAt6Blocks3gAt4() {
        gpu.place("a", p("1g.20gb"), 6);
        assertThat(gpu.freeStarts(p("3g.40gb"))).containsExactly(0);
        assertThat(gpu.freeStarts(p("4g.40gb"))).containsExactly(0);
        assertThat(gpu.freeStarts(p("2g.20gb"))).containsExactly(0, 2, 4);
        assertThat(gpu.freeStarts(p("1g.20gb"))).containsExactly(0, 2, 4);
        assertThat(gpu.freeStarts(p("1g.10gb"))).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(gpu.freeStarts(p("7g.80gb"))).isEmpty();
    }

    @Test
    void placementsAreExactlyTheListedOnes() {
        assertThatThrownBy(() -> gpu.place("a", p("3g.40gb"), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("3g.40gb cannot start at memory slice 2 on GPU 0; allowed placements {0,4}:4");
        assertThatThrownBy(() -> gpu.place("a", p("1g.10gb"), 7)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> gpu.place("a", p("2g.20gb"), 6)).isInstanceOf(IllegalStateException.class);
        assertThat(gpu.isEmpty()).isTrue();
    }

    @Test
    void overlapIsRefusedWithTheOwner() {
        gpu.place("a", p("2g.20gb"), 2);
        assertThatThrownBy(() -> gpu.place("b", p("3g.40gb"), 0))
                .hasMessage("memory slices 0-3 of GPU 0 overlap 2g.20gb at 2-3");
        assertThatThrownBy(() -> gpu.place("a", p("1g.10gb"), 0)).hasMessageContaining("already has an instance a");
    }

    @Test
    void refusalNamesThePartlyUsedBlocks() {
        gpu.place("a", p("1g.10gb"), 1);
        gpu.place("b", p("1g.10gb"), 5);
        assertThat(gpu.refusalReason(p("3g.40gb"))).contains(
                "no 3g.40gb placement free on GPU 0: memory slices 0-3 (partly used), 4-7 (partly used)");
        gpu.release("a");
        gpu.place("c", p("4g.40gb"), 0);
        assertThat(gpu.refusalReason(p("4g.40gb"))).contains("all 1 4g.40gb instance(s) GPU 0 allows are in use");
        assertThat(gpu.refusalReason(p("2g.20gb"))).contains(
                "no 2g.20gb placement free on GPU 0: memory slices 0-1 (used), 2-3 (used), 4-5 (partly used)");
        assertThat(gpu.refusalReason(p("1g.10gb"))).isEmpty();
    }

    @Test
    void mediaExtensionProfileIsLimitedToItsTotal() {
        gpu.place("a", p("1g.10gb+me"), 3);
        assertThat(gpu.fits(p("1g.10gb+me"))).isZero();
        assertThat(gpu.fits(p("1g.10gb"))).isEqualTo(6);
        assertThatThrownBy(() -> gpu.place("b", p("1g.10gb+me"), 4))
                .hasMessageContaining("all 1 1g.10gb+me instance(s)");
    }

    @Test
    void releaseRestoresEverything() {
        gpu.place("a", p("3g.40gb"), 4);
        gpu.place("b", p("2g.20gb"), 0);
        assertThat(gpu.release("a")).isPresent();
        assertThat(gpu.release("a")).isEmpty();
        assertThat(gpu.release("b").orElseThrow().profile().name()).isEqualTo("2g.20gb");
        assertThat(gpu.isEmpty()).isTrue();
        assertThat(gpu.usedComputeSlices()).isZero();
        assertThat(gpu.fits(p("7g.80gb"))).isEqualTo(1);
    }

    @Test
    void fitsCountsSimultaneousInstances() {
        gpu.place("a", p("1g.10gb"), 1);
        assertThat(gpu.fits(p("2g.20gb"))).isEqualTo(2); // 0-1 is blocked, 2-3 and 4-5 remain
        assertThat(gpu.fits(p("1g.20gb"))).isEqualTo(3);
        assertThat(gpu.fits(p("1g.10gb"))).isEqualTo(6);
        assertThat(gpu.capacityAfter(p("1g.10gb"), 6)).containsExactly(0, 0, 0, 2, 2, 5, 1);
    }

    @Test
    void h200HasTheSameGeometryWithItsOwnNames() {
        GpuDevice h200 = Fixtures.real(H200);
        MigAllocator g = new MigAllocator(h200);
        g.place("a", profile(h200, "4g.71gb"), 0);
        assertThat(g.freeStarts(profile(h200, "3g.71gb"))).containsExactly(4);
        assertThat(g.whatFits()).containsOnlyKeys("3g.71gb", "2g.35gb", "1g.35gb", "1g.18gb", "1g.18gb+me");
        assertThat(MigAllocator.memoryMiB(g.instances())).isEqualTo(71424);
        assertThat(g.refusalReason(profile(h200, "7g.141gb"))).contains(
                "no 7g.141gb placement free on GPU 0: memory slices 0-7 (partly used); "
                        + "7g.141gb needs 7 compute slice(s), GPU 0 has 3 of 7 free");
    }

    @Test
    void randomOperationsKeepTheInvariants() {
        Random random = new Random(42);
        List<String> live = new ArrayList<>();
        for (int op = 0; op < 5_000; op++) {
            if (!live.isEmpty() && random.nextInt(3) == 0) {
                assertThat(gpu.release(live.remove(random.nextInt(live.size())))).isPresent();
            } else {
                MigProfile prof = h100.migProfiles().get(random.nextInt(h100.migProfiles().size()));
                List<Integer> free = gpu.freeStarts(prof);
                assertThat(free.isEmpty()).isEqualTo(gpu.fits(prof) == 0);
                if (!free.isEmpty()) {
                    String id = "i" + op;
                    gpu.place(id, prof, free.get(random.nextInt(free.size())));
                    live.add(id);
                }
            }
            assertInvariants(gpu);
        }
    }

    static void assertInvariants(MigAllocator gpu) {
        boolean[] used = new boolean[gpu.memorySlices()];
        int compute = 0;
        Map<String, Integer> counts = new java.util.HashMap<>();
        for (MigAllocator.Instance i : gpu.instances()) {
            assertThat(i.profile().placement().starts()).contains(i.start());
            for (int s = i.start(); s < i.end(); s++) {
                assertThat(used[s]).as("slice %d used twice", s).isFalse();
                used[s] = true;
                assertThat(gpu.isUsed(s)).isTrue();
            }
            compute += i.profile().computeSlices();
            counts.merge(i.profile().name(), 1, Integer::sum);
        }
        assertThat(compute).isEqualTo(gpu.usedComputeSlices()).isLessThanOrEqualTo(gpu.computeSlices());
        for (MigProfile p : gpu.profiles()) {
            assertThat(counts.getOrDefault(p.name(), 0)).isLessThanOrEqualTo(p.instancesTotal());
        }
    }
}
