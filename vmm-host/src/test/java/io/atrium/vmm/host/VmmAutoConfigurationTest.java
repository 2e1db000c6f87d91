package io.atrium.vmm.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.vmm.Accelerator;
import io.atrium.vmm.VmmException;
import io.atrium.vmm.VmmProperties;
import io.atrium.vmm.api.MachineHost;
import io.atrium.vmm.image.GuestImages;
import io.atrium.vmm.qemu.AcceleratorProbe;
import io.atrium.vmm.qemu.QemuLauncher;
import io.atrium.vmm.qemu.ResolvedAccelerator;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class VmmAutoConfigurationTest {

    @TempDir
    Path dataDir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(VmmAutoConfiguration.class));

    @Test
    void bindsDefaultsAndExposesBeans() {
        runner.run(context -> {
            VmmProperties properties = context.getBean(VmmProperties.class);
            assertThat(properties.dataDir()).isEqualTo(VmmProperties.defaultDataDir());
            assertThat(properties.accel()).isEqualTo(Accelerator.AUTO);
            assertThat(properties.qemuBinary()).isEqualTo("qemu-system-x86_64");
            assertThat(properties.qemuImgBinary()).isEqualTo("qemu-img");
            assertThat(properties.shutdownTimeout()).isEqualTo(Duration.ofSeconds(15));
            assertThat(properties.qmpTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(properties.startTimeout()).isEqualTo(Duration.ofSeconds(20));
            assertThat(properties.keepVmsOnExit()).isFalse();
            assertThat(properties.hostId()).isEqualTo("local");
            assertThat(properties).isEqualTo(VmmProperties.defaults(VmmProperties.defaultDataDir()));
            assertThat(context).hasSingleBean(AcceleratorProbe.class).hasSingleBean(ResolvedAccelerator.class)
                    .hasSingleBean(GuestImages.class).hasSingleBean(QemuLauncher.class).hasSingleBean(VmmHost.class)
                    .hasSingleBean(MachineHost.class);
            assertThat(context.getBean(MachineHost.class).hostId()).isEqualTo("local");
        });
    }

    @Test
    void bindsProperties() {
        runner.withPropertyValues("atrium.vmm.data-dir=" + dataDir, "atrium.vmm.accel=tcg",
                "atrium.vmm.shutdown-timeout=3s", "atrium.vmm.qmp-timeout=750ms", "atrium.vmm.keep-vms-on-exit=true",
                "atrium.vmm.host-id=rack-7")
                .run(context -> {
                    VmmProperties properties = context.getBean(VmmProperties.class);
                    assertThat(properties.dataDir()).isEqualTo(dataDir);
                    assertThat(properties.shutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(properties.qmpTimeout()).isEqualTo(Duration.ofMillis(750));
                    assertThat(properties.keepVmsOnExit()).isTrue();
                    assertThat(context.getBean(MachineHost.class).hostId()).isEqualTo("rack-7");
                    assertThat(context.getBean(ResolvedAccelerator.class).accel()).isEqualTo(Accelerator.TCG);
                    assertThat(context.getBean(VmmHost.class).runDir("desk-1"))
                            .isEqualTo(dataDir.resolve("run/desk-1"));
                });
    }

    @Test
    void aHostIdMustBeAShortLabel() {
        for (String bad : new String[] {"", "Local", "-x", "x-", "a/b", "a".repeat(33)}) {
            runner.withPropertyValues("atrium.vmm.data-dir=" + dataDir, "atrium.vmm.accel=tcg", "atrium.vmm.host-id=" + bad)
                    .run(context -> assertThat(context).as("host id '%s'", bad).hasFailed());
        }
        runner.withPropertyValues("atrium.vmm.data-dir=" + dataDir, "atrium.vmm.accel=tcg",
                "atrium.vmm.host-id=" + "a".repeat(32)).run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void unusableKvmFailsTheContext() {
        // this host has no usable hardware KVM (or if it does, KVM resolves fine)
        boolean kvmUsable = new AcceleratorProbe().resolve(Accelerator.AUTO).isKvm();
        runner.withPropertyValues("atrium.vmm.data-dir=" + dataDir, "atrium.vmm.accel=KVM").run(context -> {
            if (kvmUsable) {
                assertThat(context).hasNotFailed();
            } else {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause().isInstanceOf(VmmException.class)
                        .hasMessageContaining("KVM requested");
            }
        });
    }
}
