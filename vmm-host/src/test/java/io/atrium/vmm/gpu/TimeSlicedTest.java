package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static io.atrium.vmm.gpu.Fixtures.H200;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimeSlicedTest {

    @Test
    void profilesDerivedFromTheH100Framebuffer() {
        GpuDevice h100 = Fixtures.real(H100);
        assertThat(TimeSlicedProfile.nominalFramebufferGiB(h100)).isEqualTo(80); // 81559 MiB
        List<TimeSlicedProfile> profiles = TimeSlicedProfile.forGpu(h100);
        assertThat(profiles).extracting(TimeSlicedProfile::framebufferGiB)
                .containsExactly(1, 2, 4, 5, 8, 10, 16, 20, 40, 80);
        TimeSlicedProfile ts10 = TimeSlicedProfile.find(h100, "ts-10gb").orElseThrow();
        assertThat(ts10.maxInstances()).isEqualTo(8);
        assertThat(ts10.memoryMiB()).isEqualTo(81559 / 8);
        assertThat(profiles).allSatisfy(p ->
                assertThat(p.memoryMiB() * p.maxInstances()).isLessThanOrEqualTo(h100.memoryTotalMiB()));
        assertThat(TimeSlicedProfile.find(h100, "ts-3gb")).isEmpty();
    }

    @Test
    void profilesDerivedFromTheH200Framebuffer() {
        GpuDevice h200 = Fixtures.real(H200);
        assertThat(TimeSlicedProfile.nominalFramebufferGiB(h200)).isEqualTo(140); // 143771 MiB
        assertThat(TimeSlicedProfile.forGpu(h200)).extracting(TimeSlicedProfile::name).containsExactly(
                "ts-1gb", "ts-2gb", "ts-4gb", "ts-5gb", "ts-7gb", "ts-10gb", "ts-14gb", "ts-20gb", "ts-28gb",
                "ts-35gb", "ts-70gb", "ts-140gb");
        assertThat(TimeSlicedProfile.find(h200, "ts-35gb").orElseThrow().maxInstances()).isEqualTo(4);
    }

    @Test
    void oneSizePerGpuAndFloorOfFramebufferInstances() {
        TimeSlicedAllocator gpu = new TimeSlicedAllocator(Fixtures.real(H100));
        TimeSlicedProfile ts10 = gpu.profile("ts-10gb").orElseThrow();
        TimeSlicedProfile ts20 = gpu.profile("ts-20gb").orElseThrow();
        assertThat(gpu.whatFits()).containsEntry("ts-10gb", 8).containsEntry("ts-80gb", 1).hasSize(10);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(gpu.place("s" + i, ts10).id());
        }
        assertThat(gpu.instances()).extracting(TimeSlicedAllocator.Instance::slot)
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(gpu.whatFits()).isEmpty();
        assertThat(gpu.refusalReason(ts10)).contains("all 8 ts-10gb slices of GPU 0 are in use");
        assertThat(gpu.refusalReason(ts20)).contains(
                "GPU 0 holds ts-10gb slices; time-sliced vGPU allows one profile size per GPU at a time");
        assertThatThrownBy(() -> gpu.place("x", ts20)).isInstanceOf(IllegalStateException.class);

        gpu.release("s3");
        assertThat(gpu.whatFits()).containsExactly(Map.entry("ts-10gb", 1));
        assertThat(gpu.place("again", ts10).slot()).isEqualTo(3);
        for (String id : List.of("again", "s0", "s1", "s2", "s4", "s5", "s6", "s7")) {
            assertThat(gpu.release(id)).isPresent();
        }
        assertThat(gpu.activeProfile()).isEmpty();
        assertThat(gpu.place("big", ts20).slot()).isZero();
        assertThat(gpu.activeProfile()).contains(ts20);
    }

    @Test
    void placeAtChecksTheSlot() {
        TimeSlicedAllocator gpu = new TimeSlicedAllocator(Fixtures.real(H100));
        TimeSlicedProfile ts40 = gpu.profile("ts-40gb").orElseThrow();
        gpu.placeAt("a", ts40, 1);
        assertThatThrownBy(() -> gpu.placeAt("b", ts40, 1)).hasMessageContaining("slot 1 of GPU 0 is already in use");
        assertThatThrownBy(() -> gpu.placeAt("b", ts40, 2)).hasMessageContaining("slot 2 outside 0-1");
        assertThat(gpu.place("b", ts40).slot()).isZero();
    }
}
