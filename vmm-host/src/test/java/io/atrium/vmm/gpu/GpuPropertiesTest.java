package io.atrium.vmm.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuPropertiesTest {

    private static GpuProperties inventory(String inventory) {
        return new GpuProperties(inventory, "nvidia-smi", Duration.ofSeconds(5));
    }

    @Test
    void defaultsSimulateTwoH100s() {
        GpuProperties p = GpuProperties.defaults();
        assertThat(p.kind()).isEqualTo(GpuProperties.Kind.SIMULATED);
        assertThat(p.toInventory().discover()).hasSize(2).allMatch(GpuDevice::simulated)
                .allMatch(g -> g.migComputeSlices() == 7 && g.migMemorySlices() == 8);
    }

    @Test
    void kindsAndValidation() {
        assertThat(inventory("none").toInventory().discover()).isEmpty();
        assertThat(inventory("AUTO").kind()).isEqualTo(GpuProperties.Kind.AUTO);
        assertThat(inventory("nvidia-smi").kind()).isEqualTo(GpuProperties.Kind.NVIDIA_SMI);
        assertThat(inventory("1 x h200-141gb").isInventoryValid()).isTrue();
        assertThat(inventory("3 x no-such-gpu").isInventoryValid()).isFalse();
        assertThat(new GpuProperties("none", "nvidia-smi", Duration.ZERO).isCommandTimeoutValid()).isFalse();
    }

    @Test
    void autoWithoutNvidiaSmiOnThePathHasNoGpus() {
        GpuProperties p = new GpuProperties("auto", "atrium-no-such-nvidia-smi", Duration.ofSeconds(5));
        assertThat(p.toInventory().discover()).isEmpty();
    }

    @Test
    void findsTheProgramOnThePath(@TempDir Path dir) throws Exception {
        Path smi = Files.createFile(dir.resolve("nvidia-smi"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertThat(GpuProperties.findProgram("nvidia-smi", "/nonexistent:" + dir)).contains(smi);
        assertThat(GpuProperties.findProgram("nvidia-smi", "/nonexistent")).isEmpty();
        assertThat(GpuProperties.findProgram(smi.toString(), null)).contains(smi);
    }
}
