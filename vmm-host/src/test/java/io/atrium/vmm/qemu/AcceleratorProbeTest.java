package io.atrium.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.Accelerator;
import io.atrium.vmm.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorProbeTest {

    @TempDir
    Path root;

    private void kvmDevice() throws IOException {
        Files.createDirectories(root.resolve("dev"));
        Files.createFile(root.resolve("dev/kvm"));
    }

    private void module(String name) throws IOException {
        Files.createDirectories(root.resolve("sys/module").resolve(name));
    }

    @Test
    void autoPicksKvmOnHardwareKvm() throws IOException {
        kvmDevice();
        module("kvm");
        module("kvm_intel");
        ResolvedAccelerator accel = new AcceleratorProbe(root).resolve(Accelerator.AUTO);
        assertThat(accel.accel()).isEqualTo(Accelerator.KVM);
        assertThat(accel.reason()).contains("kvm_intel");
        assertThat(new AcceleratorProbe(root).resolve(Accelerator.KVM).isKvm()).isTrue();
    }

    @Test
    void autoPicksKvmOnAmd() throws IOException {
        kvmDevice();
        module("kvm_amd");
        assertThat(new AcceleratorProbe(root).resolve(Accelerator.AUTO).accel()).isEqualTo(Accelerator.KVM);
    }

    @Test
    void autoPicksTcgOnSoftwareKvmPvm() throws IOException {
        kvmDevice();
        module("kvm");
        module("kvm_pvm");
        module("kvm_intel");
        ResolvedAccelerator accel = new AcceleratorProbe(root).resolve(Accelerator.AUTO);
        assertThat(accel.accel()).isEqualTo(Accelerator.TCG);
        assertThat(accel.reason()).contains("kvm_pvm");
    }

    @Test
    void autoPicksTcgWithoutDevice() throws IOException {
        module("kvm_intel");
        ResolvedAccelerator accel = new AcceleratorProbe(root).resolve(Accelerator.AUTO);
        assertThat(accel.accel()).isEqualTo(Accelerator.TCG);
        assertThat(accel.reason()).contains("does not exist");
    }

    @Test
    void autoPicksTcgWithoutHardwareModule() throws IOException {
        kvmDevice();
        module("kvm");
        assertThat(new AcceleratorProbe(root).resolve(Accelerator.AUTO).reason())
                .contains("neither kvm_intel nor kvm_amd");
    }

    @Test
    void explicitKvmWhereUnusableIsAClearError() throws IOException {
        kvmDevice();
        module("kvm_pvm");
        assertThatThrownBy(() -> new AcceleratorProbe(root).resolve(Accelerator.KVM))
                .isInstanceOf(VmmException.class)
                .hasMessageContaining("KVM requested")
                .hasMessageContaining("kvm_pvm");
    }

    @Test
    void explicitTcgAlwaysWorks() {
        assertThat(new AcceleratorProbe(root).resolve(Accelerator.TCG).accel()).isEqualTo(Accelerator.TCG);
    }

    @Test
    void resolvedAcceleratorIsNeverAuto() {
        assertThatThrownBy(() -> new ResolvedAccelerator(Accelerator.AUTO, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
