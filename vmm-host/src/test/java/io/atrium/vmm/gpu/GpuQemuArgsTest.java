package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuQemuArgsTest {

    private static final String SLICE_ID = "6f1c2a9e-3b7d-4c55-9a0e-2d4b8f61c7a3";

    private static List<String> golden(String name) throws IOException {
        try (InputStream in = GpuQemuArgsTest.class.getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void wholeGpuIsVfioPassthroughByPciAddress() throws IOException {
        GpuDevice gpu = Fixtures.real(H100);
        GpuSlice slice = new GpuSlice(SLICE_ID, 0, gpu.uuid(), GpuMode.NONE, GpuPool.FULL_PROFILE, 0, 1, "d", false);
        assertThat(GpuQemuArgs.forSlice(slice, gpu)).isEqualTo(golden("gpu-full.args"));
    }

    @Test
    void migSliceIsAMediatedDevice() throws IOException {
        GpuDevice gpu = Fixtures.realMigEnabled(H100);
        GpuSlice slice = new GpuSlice(SLICE_ID, 0, gpu.uuid(), GpuMode.MIG, "3g.40gb", 4, 4, "d", false);
        assertThat(GpuQemuArgs.forSlice(slice, gpu)).isEqualTo(golden("gpu-mig.args"));
    }

    @Test
    void timeSlicedSliceIsAMediatedDevice() throws IOException {
        GpuDevice gpu = Fixtures.real(H100);
        GpuSlice slice = new GpuSlice(SLICE_ID.toUpperCase(), 0, gpu.uuid(), GpuMode.TIME_SLICED, "ts-10gb", 2, 1,
                "d", false);
        List<String> args = GpuQemuArgs.forSlice(slice, gpu);
        assertThat(args.get(1)).startsWith("vfio-pci,sysfsdev=/sys/bus/mdev/devices/" + SLICE_ID + ",");
        GpuSlice lower = new GpuSlice(SLICE_ID, 0, gpu.uuid(), GpuMode.TIME_SLICED, "ts-10gb", 2, 1, "d", false);
        assertThat(GpuQemuArgs.forSlice(lower, gpu)).isEqualTo(golden("gpu-time-sliced.args"));
    }

    @Test
    void poolSlicesOfARealGpuGiveArguments() {
        GpuDevice gpu = Fixtures.real(H100);
        GpuPool pool = new GpuPool(List.of(gpu), new BestFitMigPolicy());
        GpuSlice whole = pool.allocate(GpuPool.FULL_PROFILE, "d");
        assertThat(GpuQemuArgs.forSlice(whole, gpu)).containsExactly("-device",
                "vfio-pci,host=0000:00:06.0,id=gpu-" + whole.id());
    }

    @Test
    void simulatedSlicesGiveNoArguments() {
        GpuDevice sim = SimulatedInventory.fromSpec("1 x h100-80gb-hbm3").discover().getFirst();
        GpuPool pool = new GpuPool(List.of(sim), new BestFitMigPolicy());
        GpuSlice slice = pool.allocate("1g.10gb", "d");
        assertThat(slice.simulated()).isTrue();
        assertThat(GpuQemuArgs.forSlice(slice, sim)).isEmpty();
    }

    @Test
    void checksItsInputs() {
        GpuDevice gpu = Fixtures.real(H100);
        assertThatThrownBy(() -> GpuQemuArgs.forSlice(
                new GpuSlice("not-a-uuid", 0, gpu.uuid(), GpuMode.MIG, "1g.10gb", 0, 1, "d", false), gpu))
                .hasMessageContaining("not a UUID");
        assertThatThrownBy(() -> GpuQemuArgs.forSlice(
                new GpuSlice(SLICE_ID, 1, gpu.uuid(), GpuMode.NONE, "full", 0, 1, "d", false), gpu))
                .hasMessageContaining("is on GPU 1");
    }

    @Test
    void pciAddresses() {
        assertThat(GpuQemuArgs.qemuHostAddress("00000000:00:06.0")).isEqualTo("0000:00:06.0");
        assertThat(GpuQemuArgs.qemuHostAddress("00000001:C1:00.7")).isEqualTo("0001:c1:00.7");
        assertThat(GpuQemuArgs.qemuHostAddress("0000:3b:00.0")).isEqualTo("0000:3b:00.0");
        assertThatThrownBy(() -> GpuQemuArgs.qemuHostAddress("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GpuQemuArgs.qemuHostAddress("00010000:00:06.0"))
                .hasMessageContaining("16 bits");
    }
}
