package io.atrium.vmm.gpu;

import static io.atrium.vmm.gpu.Fixtures.H100;
import static io.atrium.vmm.gpu.Fixtures.H200;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InventoryTest {

    @ParameterizedTest
    @ValueSource(strings = {H100, H200})
    void realInventoryFromCaptures(String model) {
        Fixtures.FixtureRunner runner = new Fixtures.FixtureRunner(model);
        List<GpuDevice> gpus = new NvidiaSmiInventory(runner).discover();
        assertThat(gpus).hasSize(1);
        GpuDevice g = gpus.getFirst();
        assertThat(g.simulated()).isFalse();
        assertThat(g.virtualizationMode()).isEqualTo("Pass-Through");
        assertThat(g.migProfiles()).hasSize(7);
        assertThat(g.migMemorySlices()).isEqualTo(8);
        assertThat(g.migComputeSlices()).isEqualTo(7);
        assertThat(g.model()).isEmpty();
        // read-only: exactly the declared commands, none that changes MIG mode, instances or resets
        assertThat(runner.calls).containsExactlyInAnyOrderElementsOf(NvidiaSmiInventory.COMMANDS);
        assertThat(runner.calls).allSatisfy(argv -> assertThat(argv)
                .doesNotContain("-mig", "-cgi", "-dgi", "-cci", "-dci", "-r", "--gpu-reset", "-pm"));
    }

    @Test
    void gpuWithoutMigSupportHasNoProfiles() {
        CommandRunner runner = argv -> {
            if (argv.equals(NvidiaSmiInventory.QUERY_GPU)) {
                return Fixtures.read(H100, "query.csv");
            }
            throw new CommandFailedException(argv, 6, "No MIG-supported devices found.");
        };
        GpuDevice g = new NvidiaSmiInventory(runner).discover().getFirst();
        assertThat(g.migProfiles()).isEmpty();
        assertThat(g.supportsMig()).isFalse();
        assertThat(g.virtualizationMode()).isEmpty();
        assertThat(GpuPool.defaultMode(g)).isEqualTo(GpuMode.NONE);
    }

    @Test
    void missingNvidiaSmiIsAnError() {
        CommandRunner runner = argv -> {
            throw new CommandFailedException(argv, -1, "cannot start");
        };
        assertThatThrownBy(() -> new NvidiaSmiInventory(runner).discover())
                .isInstanceOf(CommandFailedException.class);
    }

    @Test
    void processRunnerReportsExitStatus() {
        ProcessCommandRunner runner = new ProcessCommandRunner();
        assertThat(runner.run(List.of("sh", "-c", "printf ok"))).isEqualTo("ok");
        assertThatThrownBy(() -> runner.run(List.of("sh", "-c", "echo bad >&2; exit 3")))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("exit status 3: bad")
                .satisfies(e -> assertThat(((CommandFailedException) e).exitCode()).isEqualTo(3));
        assertThatThrownBy(() -> runner.run(List.of("/nonexistent/nvidia-smi")))
                .isInstanceOf(CommandFailedException.class).hasMessageContaining("cannot start");
    }

    @Test
    void processRunnerKillsAHungCommandAtItsTimeout() {
        ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofSeconds(1));
        long start = System.nanoTime();
        assertThatThrownBy(() -> runner.run(List.of("sleep", "30")))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("timed out after PT1S")
                .satisfies(e -> assertThat(((CommandFailedException) e).exitCode()).isEqualTo(-1));
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    }

    @Test
    void simulatedInventoryFromSpec() {
        List<GpuDevice> gpus = SimulatedInventory.fromSpec("2 x h100-80gb-hbm3, 1 x h200-141gb").discover();
        assertThat(gpus).extracting(GpuDevice::index).containsExactly(0, 1, 2);
        assertThat(gpus).allMatch(GpuDevice::simulated);
        assertThat(gpus).extracting(GpuDevice::model).containsExactly(H100, H100, H200);
        assertThat(gpus).extracting(GpuDevice::uuid).doesNotHaveDuplicates().allMatch(u -> u.startsWith("GPU-"));
        assertThat(gpus).extracting(GpuDevice::pciBusId).containsOnly("");
        assertThat(gpus.get(0).name()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(gpus.get(2).memoryTotalMiB()).isEqualTo(143771);
        // same parsers, same numbers as the real capture
        assertThat(gpus.get(0).migProfiles()).isEqualTo(Fixtures.real(H100).migProfiles());
        assertThat(gpus.get(2).migProfiles()).isEqualTo(Fixtures.real(H200).migProfiles());
        // stable across restarts
        assertThat(SimulatedInventory.fromSpec("2x h100-80gb-hbm3").discover())
                .extracting(GpuDevice::uuid).containsExactly(gpus.get(0).uuid(), gpus.get(1).uuid());
        assertThat(SimulatedInventory.fromSpec("h200-141gb").discover()).hasSize(1);
    }

    @Test
    void simulatedSpecErrors() {
        assertThatThrownBy(() -> SimulatedInventory.fromSpec("2 x a100"))
                .hasMessageContaining("unknown GPU model 'a100'").hasMessageContaining(H100);
        assertThatThrownBy(() -> SimulatedInventory.fromSpec("0 x h100-80gb-hbm3"))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> SimulatedInventory.fromSpec("two h100"))
                .hasMessageContaining("expected '<count> x <model>'");
        assertThat(SimulatedInventory.fromSpec("").discover()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {H100, H200})
    void shippedModelsAreTheCaptures(String model) throws IOException {
        assertThat(SimulatedInventory.models()).contains(model);
        for (String file : List.of("query.csv", "lgip.txt", "lgipp.txt")) {
            try (InputStream shipped = getClass().getResourceAsStream(SimulatedInventory.MODELS + model + "/" + file)) {
                assertThat(shipped).isNotNull();
                assertThat(new String(shipped.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(Fixtures.read(model, file));
            }
        }
    }
}
