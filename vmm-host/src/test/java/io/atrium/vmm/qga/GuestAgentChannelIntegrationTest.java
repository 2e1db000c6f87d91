package io.atrium.vmm.qga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.vmm.VmmException;
import io.atrium.vmm.qemu.QemuVm;
import io.atrium.vmm.qemu.VmSpec;
import io.atrium.vmm.testing.QemuFixture;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The guest agent channel with real QEMU and the console guest, which runs no qemu-ga: the channel
 * is there when asked for, and a client gets a clear "unavailable" instead of hanging.
 */
class GuestAgentChannelIntegrationTest {

    @RegisterExtension
    static final QemuFixture qemu = new QemuFixture();

    @Test
    void aGuestWithoutAnAgentIsReportedUnavailableWithinTheTimeout() {
        VmSpec spec = qemu.consoleSpec("qga-none").guestAgent(true).build();
        QemuVm vm = qemu.awaitShell(qemu.start(spec));
        assertThat(vm.layout().qgaSocket()).exists();

        long start = System.nanoTime();
        assertThatThrownBy(() -> QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(3)))
                .isInstanceOf(QgaUnavailableException.class)
                .hasMessageContaining("does not run qemu-ga");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isBetween(Duration.ofMillis(2900), Duration.ofSeconds(10));
        assertThat(vm.isRunning()).isTrue();
    }

    @Test
    void aVmWithoutTheChannelHasNoSocket() {
        QemuVm vm = qemu.awaitShell(qemu.startConsole("qga-off"));
        assertThat(vm.spec().guestAgent()).isFalse();
        assertThat(Files.exists(vm.layout().qgaSocket())).isFalse();
        assertThatThrownBy(() -> QgaClient.connect(vm.layout().qgaSocket(), Duration.ofSeconds(3)))
                .isExactlyInstanceOf(VmmException.class).hasMessageContaining("cannot connect");
    }
}
